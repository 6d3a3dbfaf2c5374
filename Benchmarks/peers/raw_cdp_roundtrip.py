#!/usr/bin/env python3
"""Reference point: a minimal raw CDP client (Python `websockets`, no framework) doing the same
sequential Runtime.evaluate("1+1") round trips as `shared-browser-bench roundtrip`, against a browser
given by its WebSocket debugger URL. Prints one JSON object like the Swift benchmark.

    pip install websockets
    python3 Benchmarks/peers/raw_cdp_roundtrip.py ws://127.0.0.1:PORT/devtools/browser/ID [N]
"""
import asyncio
import json
import sys
import time

import websockets


async def main(url, n):
    async with websockets.connect(url, max_size=None, compression=None) as ws:
        next_id = 0

        async def call(method, params=None, session=None):
            nonlocal next_id
            next_id += 1
            message = {"id": next_id, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            await ws.send(json.dumps(message))
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("id") == next_id:
                    return reply["result"]

        target = await call("Target.createTarget", {"url": "about:blank"})
        session = (await call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}))["sessionId"]
        for _ in range(200):
            await call("Runtime.evaluate", {"expression": "1+1", "returnByValue": True}, session)
        samples = []
        for _ in range(n):
            start = time.perf_counter_ns()
            result = await call("Runtime.evaluate", {"expression": "1+1", "returnByValue": True}, session)
            samples.append(time.perf_counter_ns() - start)
            assert result["result"]["value"] == 2
        await call("Target.closeTarget", {"targetId": target["targetId"]})
    samples.sort()

    def pct(p):
        rank = p / 100 * (len(samples) - 1)
        low, high = int(rank), min(int(rank) + 1, len(samples) - 1)
        return samples[low] + (samples[high] - samples[low]) * (rank - low)

    print(json.dumps({"bench": "roundtrip", "tool": "raw-python-websockets", "n": n,
                      "p50_us": round(pct(50) / 1e3, 1), "p95_us": round(pct(95) / 1e3, 1),
                      "p99_us": round(pct(99) / 1e3, 1)}))


asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000))
