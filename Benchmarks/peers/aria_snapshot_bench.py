#!/usr/bin/env python3
"""Reference point for `shared-browser-bench reading`: Playwright's `aria_snapshot()` of the body of
every page of a folder, in the same browser build (1280x720 viewport). Prints one JSON object per page
with the median time; exits 1 when Playwright is not installed.

    pip install playwright          # uses the system Chromium; no browser download
    python3 Benchmarks/peers/aria_snapshot_bench.py DIR [--n 5] [--chromium /usr/bin/chromium]
"""
import argparse
import asyncio
import json
import os
import statistics
import sys
import time

try:
    from playwright.async_api import async_playwright
except ImportError:
    print("playwright is not installed", file=sys.stderr)
    sys.exit(1)


async def main(args):
    extra = ["--no-sandbox"] if os.geteuid() == 0 else []
    pages = sorted(f for f in os.listdir(args.directory) if f.endswith(".html"))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=args.chromium, args=extra)
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        for name in pages:
            try:
                await page.goto("file://" + os.path.abspath(os.path.join(args.directory, name)), timeout=60000)
            except Exception as error:  # a page that does not load is left out, as ours is
                print(json.dumps({"bench": "aria_snapshot", "page": name, "error": str(error)[:200]}), flush=True)
                continue
            samples = []
            for _ in range(args.n):
                start = time.perf_counter_ns()
                await page.locator("body").aria_snapshot()
                samples.append(time.perf_counter_ns() - start)
            print(json.dumps({"bench": "aria_snapshot", "tool": "playwright", "page": name, "n": args.n,
                              "median_ms": round(statistics.median(samples) / 1e6, 3)}), flush=True)
        await browser.close()


parser = argparse.ArgumentParser()
parser.add_argument("directory")
parser.add_argument("--n", type=int, default=5)
parser.add_argument("--chromium", default="/usr/bin/chromium")
asyncio.run(main(parser.parse_args()))
