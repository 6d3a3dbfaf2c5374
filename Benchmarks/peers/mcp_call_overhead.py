"""What a tool call costs over MCP, stdio and Streamable HTTP, with the Python MCP SDK as the client.

    pip install mcp
    python3 mcp_call_overhead.py .build/release/shared-browser-mcp [N]

Times N calls of `list_shared_sessions` (a call that does no browser work, so what is timed is the
protocol: the client's encoding, the transport, the server's decoding and dispatch, and back) after
50 warm-up calls, and prints one JSON object per transport with the median, p95 and p99.
"""
import asyncio
import json
import statistics
import subprocess
import sys
import time

import httpx2 as httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client


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
                      "p99_ms": round(percentile(samples, 99), 3)}))


async def main(binary, n):
    async with stdio_client(StdioServerParameters(command=binary, args=["--no-recording"])) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            report("stdio", await time_calls(session, n))
    token = "bench-token-0123456789"
    server = subprocess.Popen([binary, "--http", "0", "--token", token, "--no-recording"], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split()[-1]
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
            async with streamable_http_client(url, http_client=http) as (read, write, *_):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    report("http", await time_calls(session, n))
    finally:
        server.terminate()
        server.wait(timeout=10)


asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300))
