#!/usr/bin/env python3
"""A CDP gateway for tests: what a browser grid or a CDP provider puts in front of a browser.

It listens on 127.0.0.1 (TLS with --cert/--key), refuses every request that lacks the --header it
requires (HTTP 401), and passes the rest, bytes unchanged, to the browser's DevTools port given as
--upstream. It prints its port on the first line of stdout. Commands on stdin:
  drop   closes every open connection at once (a network drop), then prints "dropped N"
Each refused request prints "refused <request line>"; each passed one "passed <request line>".
Standard library only.
"""
import argparse
import asyncio
import ssl
import sys

connections = set()


def head_lines(head: bytes):
    lines = head.decode("latin-1").split("\r\n")
    return lines[0], lines[1:]


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError, ssl.SSLError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def handle(reader, writer, args):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ssl.SSLError):
        writer.close()
        return
    request_line, lines = head_lines(head)
    if args.header:
        name, _, value = args.header.partition(":")
        wanted = (name.strip().lower(), value.strip())
        present = any(
            (line.partition(":")[0].strip().lower(), line.partition(":")[2].strip()) == wanted for line in lines
        )
        if not present:
            print(f"refused {request_line}", flush=True)
            writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 13\r\nConnection: close\r\n\r\nUnauthorized\n")
            await writer.drain()
            writer.close()
            return
    host, port = args.upstream.rsplit(":", 1)
    try:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
    except OSError:
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        writer.close()
        return
    print(f"passed {request_line}", flush=True)
    up_writer.write(head)
    pair = (writer, up_writer)
    connections.add(pair)
    try:
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
    finally:
        connections.discard(pair)


async def commands():
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        if line.strip() == "drop":
            dropped = list(connections)
            for client, upstream in dropped:
                for writer in (client, upstream):
                    transport = writer.transport
                    if transport is not None:
                        transport.abort()
            connections.clear()
            print(f"dropped {len(dropped)}", flush=True)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the browser's DevTools server")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--header", help='"Name: value" every request must carry')
    args = parser.parse_args()
    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    server = await asyncio.start_server(lambda r, w: handle(r, w, args), "127.0.0.1", 0, ssl=context)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        serving = asyncio.create_task(server.serve_forever())
        await commands()   # stdin closed: the test is done
        serving.cancel()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
