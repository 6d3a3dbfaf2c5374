#!/usr/bin/env python3
"""Reference point: Playwright for Python driving the same Chromium, measuring what
`shared-browser-bench` measures. Prints one JSON object per benchmark.

    pip install playwright          # uses the system Chromium below; no browser download
    python3 Benchmarks/peers/playwright_bench.py [--chromium /usr/bin/chromium] [--page FILE]
"""
import argparse
import asyncio
import json
import os
import time

from playwright.async_api import async_playwright


def stats(name, samples_ns, extra=None, us=False):
    samples = sorted(samples_ns)

    def pct(p):
        rank = p / 100 * (len(samples) - 1)
        low, high = int(rank), min(int(rank) + 1, len(samples) - 1)
        return samples[low] + (samples[high] - samples[low]) * (rank - low)

    out = {"bench": name, "tool": "playwright", "n": len(samples),
           "median_ms": round(pct(50) / 1e6, 3), "p95_ms": round(pct(95) / 1e6, 3), "p99_ms": round(pct(99) / 1e6, 3)}
    if us:
        out.update({"p50_us": round(pct(50) / 1e3, 1), "p95_us": round(pct(95) / 1e3, 1), "p99_us": round(pct(99) / 1e3, 1)})
    out.update(extra or {})
    print(json.dumps(out), flush=True)


async def main(args):
    args_chromium = ["--no-sandbox"] if os.geteuid() == 0 else []
    async with async_playwright() as pw:
        launch = []
        for _ in range(args.launches):
            start = time.perf_counter_ns()
            browser = await pw.chromium.launch(executable_path=args.chromium, args=args_chromium)
            page = await browser.new_page()
            assert await page.evaluate("1+1") == 2
            launch.append(time.perf_counter_ns() - start)
            await browser.close()
        stats("launch", launch, {"note": "driver already started"})

        browser = await pw.chromium.launch(executable_path=args.chromium, args=args_chromium)
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        for _ in range(200):
            await page.evaluate("1+1")
        rt = []
        for _ in range(args.roundtrips):
            start = time.perf_counter_ns()
            await page.evaluate("1+1")
            rt.append(time.perf_counter_ns() - start)
        stats("roundtrip", rt, us=True)

        await page.goto("file://" + os.path.abspath(args.page))
        for _ in range(5):
            await page.screenshot(type="jpeg", quality=80)
        shots = []
        for _ in range(args.screenshots):
            start = time.perf_counter_ns()
            await page.screenshot(type="jpeg", quality=80)
            shots.append(time.perf_counter_ns() - start)
        stats("screenshot", shots, {"format": "jpeg", "quality": 80, "width": 1280, "height": 720})
        await browser.close()


parser = argparse.ArgumentParser()
parser.add_argument("--chromium", default="/usr/bin/chromium")
parser.add_argument("--page", default=os.path.join(os.path.dirname(__file__), "../../../shared/corpus/pages/wikipedia-2.html"))
parser.add_argument("--launches", type=int, default=10)
parser.add_argument("--roundtrips", type=int, default=2000)
parser.add_argument("--screenshots", type=int, default=50)
asyncio.run(main(parser.parse_args()))
