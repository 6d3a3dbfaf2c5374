"""What a tool call costs over MCP, stdio and Streamable HTTP, with the Python MCP SDK as the client.

    pip install mcp
    python3 mcp_call_overhead.py .build/release/shared-browser-mcp [N]

Times N calls of `list_shared_sessions` (a call that does no browser work, so what is timed is the
protocol: the client's encoding, the transport, the server's decoding and dispatch, and back) after
50 warm-up calls, and prints one JSON object per measurement with the median, p95 and p99:

- `stdio`, `http`: the Python SDK's client and our server.
- `http_minimal_client`: the same HTTP calls from a minimal client (http.client on a kept-alive
  connection, reading the SSE answer to its end): the server's share of a call.
- `stdio_reference_server`, `http_reference_server`: the Python SDK's client and the Python SDK's own
  server (`mcp_reference_server.py`, the same tool doing nothing): what that client costs anyway.
"""
import asyncio
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import httpx2 as httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

HERE = os.path.dirname(os.path.abspath(__file__))


def percentile(samples, p):
    ordered = sorted(samples)
    rank = p / 100 * (len(ordered) - 1)
    low, high = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


async def time_calls(session, n):
    for _ in range(50):
        await session.call_tool("list_shared_sessions", {})
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await session.call_tool("list_shared_sessions", {})
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(transport, samples):
    print(json.dumps({"bench": "mcp_call", "transport": transport, "n": len(samples),
                      "median_ms": round(statistics.median(samples), 3), "p95_ms": round(percentile(samples, 95), 3),
                      "p99_ms": round(percentile(samples, 99), 3)}), flush=True)


async def sdk_stdio(command, args, n):
    async with stdio_client(StdioServerParameters(command=command, args=args)) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return await time_calls(session, n)


async def sdk_http(url, headers, n):
    async with httpx.AsyncClient(headers=headers) as client:
        async with streamable_http_client(url, http_client=client) as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await time_calls(session, n)


def minimal_http(url, headers, n):
    """Initialize, then time tools/call POSTs on one kept-alive connection."""
    host, rest = url.split("//", 1)[1].split("/", 1)
    connection = http.client.HTTPConnection(*host.rsplit(":", 1))
    base = {**headers, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"}

    def post(body, extra=None):
        connection.request("POST", "/" + rest, json.dumps(body), {**base, **(extra or {})})
        response = connection.getresponse()
        response.read()
        return response

    started = post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "minimal", "version": "1"}}})
    session = {"mcp-session-id": started.getheader("mcp-session-id"), "mcp-protocol-version": "2025-06-18"}
    post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
    samples = []
    for i in range(50 + n):
        start = time.perf_counter()
        post({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
              "params": {"name": "list_shared_sessions", "arguments": {}}}, session)
        if i >= 50:
            samples.append((time.perf_counter() - start) * 1000)
    connection.close()
    return samples


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def main(binary, n):
    report("stdio", await sdk_stdio(binary, ["--no-recording"], n))
    token = "bench-token-0123456789"
    server = subprocess.Popen([binary, "--http", "0", "--token", token, "--no-recording"], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split()[-1]
        auth = {"Authorization": f"Bearer {token}"}
        report("http", await sdk_http(url, auth, n))
        report("http_minimal_client", minimal_http(url, auth, n))
    finally:
        server.terminate()
        server.wait(timeout=10)

    reference = os.path.join(HERE, "mcp_reference_server.py")
    report("stdio_reference_server", await sdk_stdio(sys.executable, [reference, "stdio"], n))
    port = free_port()
    other = subprocess.Popen([sys.executable, reference, "http", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        report("http_reference_server", await sdk_http(f"http://127.0.0.1:{port}/mcp", {}, n))
    finally:
        other.terminate()
        other.wait(timeout=10)


asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300))
