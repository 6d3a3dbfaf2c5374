#!/usr/bin/env python3
"""Counts, with the o200k tokenizer, SharedBrowser's accessibility snapshots (written by
`shared-browser-bench snapshot --page DIR`) next to Playwright's aria_snapshot of the same pages.

    pip install playwright quicktok-v1
    swift run -c release shared-browser-bench snapshot --page /tmp/snapshots
    python3 Benchmarks/peers/snapshot_tokens.py /tmp/snapshots ../shared/corpus/pages

Every page with a snapshot in the first folder is counted (`snapshot DIR` writes one for each page of
DIR); the last line has the total ratio and the median of the pages' ratios.
"""
import asyncio
import json
import os
import sys

import quicktok
from playwright.async_api import async_playwright

PAGES = ["ars-1.html", "medium-1.html", "nytimes-1.html", "wikipedia-2.html", "wikipedia-4.html"]
encoding = quicktok.get_encoding("o200k_base")


async def main(snapshots, pages_dir):
    totals = {"ours": 0, "playwright": 0}
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        ratios = []
        names = sorted(f[:-len(".snapshot.txt")] for f in os.listdir(snapshots) if f.endswith(".snapshot.txt")) or PAGES
        for name in names:
            await page.goto("file://" + os.path.abspath(os.path.join(pages_dir, name)), timeout=60000)
            theirs = await page.locator("body").aria_snapshot()
            ours = open(os.path.join(snapshots, name + ".snapshot.txt"), encoding="utf-8").read()
            t_ours, t_theirs = len(encoding.encode(ours)), len(encoding.encode(theirs))
            totals["ours"] += t_ours
            totals["playwright"] += t_theirs
            if t_theirs:
                ratios.append(t_ours / t_theirs)
            print(json.dumps({"bench": "snapshot_tokens", "page": name, "tokenizer": "o200k_base",
                              "ours": t_ours, "playwright_aria_snapshot": t_theirs,
                              "ratio": round(t_ours / t_theirs, 3) if t_theirs else None}))
        await browser.close()
    ratios.sort()
    print(json.dumps({"bench": "snapshot_tokens_total", "pages": len(ratios), "ours": totals["ours"],
                      "playwright_aria_snapshot": totals["playwright"], "ratio": round(totals["ours"] / totals["playwright"], 3),
                      "median_page_ratio": round(ratios[len(ratios) // 2], 3) if ratios else None,
                      "highest_page_ratio": round(ratios[-1], 3) if ratios else None}))


asyncio.run(main(sys.argv[1], sys.argv[2]))
