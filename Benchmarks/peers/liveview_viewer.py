#!/usr/bin/env python3
"""The live view as a person gets it, with Playwright as the person's browser: opens a control link,
counts the frames its page draws on an animated page, then clicks on the screen and times each click
until a drawn frame shows the change. `shared-browser-bench liveview --playwright PYTHON` runs it
against its own live view; it prints one JSON object per measure.

    python3 liveview_viewer.py CONTROL_URL PAGE_X PAGE_Y [--chromium /usr/bin/chromium] [--n 20]

Reads lines on stdin: `fps` (the page is animated: count frames for 5 s) and `click` (the page is
still, its element at PAGE_X, PAGE_Y changes colour on a click: time n clicks), `quit`.
"""
import argparse
import asyncio
import json
import os
import sys

from playwright.async_api import async_playwright

HOOK = """
(([px, py]) => {
  window.__bench = { down: 0, last: null, waiters: [] };
  function pixel() { const r = screen.width / (meta ? meta.deviceWidth : screen.width);
    const d = ctx.getImageData(px * r, py * r, 1, 1).data; return d[0] > d[2] ? 'red' : 'blue'; }
  addEventListener('mousedown', () => { __bench.down = performance.now(); __bench.last = pixel(); }, true);
  new MutationObserver(() => {
    if (!__bench.down) return;
    const now = pixel();
    if (now !== __bench.last) { const took = performance.now() - __bench.down; __bench.down = 0; __bench.waiters.splice(0).forEach(w => w(took)); }
  }).observe(document.body, { attributes: true, attributeFilter: ['data-frames'] });
  const r = screen.getBoundingClientRect(); const s = Math.min(r.width / screen.width, r.height / screen.height);
  const w = screen.width * s, h = screen.height * s, dw = meta ? meta.deviceWidth : screen.width, dh = meta ? meta.deviceHeight : screen.height;
  return [r.left + (r.width - w) / 2 + px / dw * w, r.top + (r.height - h) / 2 + py / dh * h];
})
"""


def stats(samples):
    samples = sorted(samples)

    def pct(p):
        if not samples:
            return None
        rank = p / 100 * (len(samples) - 1)
        low, high = int(rank), min(int(rank) + 1, len(samples) - 1)
        return round(samples[low] + (samples[high] - samples[low]) * (rank - low), 3)
    return {"n": len(samples), "median_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99)}


async def until(page, condition, seconds=30):
    for _ in range(seconds * 20):
        if await page.evaluate(condition):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(condition)


async def main(args):
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=args.chromium,
                                           args=["--no-sandbox"] if os.geteuid() == 0 else [])
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        await page.goto(args.url)
        # Polled (wait_for_function evaluates a string, which the page's CSP forbids).
        await until(page, "Number(document.body.dataset.frames || 0) > 0")
        print(json.dumps({"ready": True}), flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line in ("", "quit"):
                break
            if line == "fps":
                before = await page.evaluate("Number(document.body.dataset.frames)")
                await asyncio.sleep(5)
                after = await page.evaluate("Number(document.body.dataset.frames)")
                print(json.dumps({"bench": "liveview_viewer_fps", "viewer": "playwright", "fps": round((after - before) / 5)}), flush=True)
            elif line == "click":
                await page.click("#take")
                await until(page, "!document.getElementById('handback').disabled")
                x, y = await page.evaluate(HOOK, [args.x, args.y])
                samples = []
                for _ in range(args.n):
                    await asyncio.sleep(0.3)
                    await page.mouse.click(x, y)
                    took = await page.evaluate("__bench.down ? new Promise(r => { __bench.waiters.push(r); setTimeout(() => r(-1), 3000); }) : 0")
                    if took > 0:
                        samples.append(took)
                out = {"bench": "liveview_viewer_click_to_picture", "viewer": "playwright"}
                out.update(stats(samples))
                print(json.dumps(out), flush=True)
        await browser.close()


parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("x", type=float)
parser.add_argument("y", type=float)
parser.add_argument("--chromium", default="/usr/bin/chromium")
parser.add_argument("--n", type=int, default=20)
asyncio.run(main(parser.parse_args()))
