#!/usr/bin/env python3
"""Compares SharedBrowser's token estimate with the real o200k tokenizer (quicktok, which ships the
vocabulary, so no download is needed).

    pip install quicktok-v1
    swift run -c release shared-browser-bench tokens --page /tmp/texts > /tmp/estimates.jsonl
    python3 Benchmarks/peers/token_error.py /tmp/texts /tmp/estimates.jsonl
"""
import json
import os
import statistics
import sys

import quicktok

encoding = quicktok.get_encoding("o200k_base")
texts, estimates_file = sys.argv[1], sys.argv[2]
errors, total_real, total_est, total_upper, upper_ratios = [], 0, 0, 0, []
for line in open(estimates_file):
    row = json.loads(line)
    text = open(os.path.join(texts, row["page"] + ".txt"), encoding="utf-8").read()
    real = len(encoding.encode(text))
    total_real += real
    total_est += row["estimated"]
    if real > 0:
        errors.append((row["estimated"] - real) / real)
        if "upper_bound" in row:
            total_upper += row["upper_bound"]
            upper_ratios.append((row["upper_bound"] / real, row["page"]))
abs_errors = sorted(abs(e) for e in errors)
print(json.dumps({
    "bench": "token_estimate_error", "pages": len(errors), "tokenizer": "o200k_base",
    "total_real": total_real, "total_estimated": total_est,
    "total_error_pct": round(100 * (total_est - total_real) / total_real, 1),
    "median_abs_error_pct": round(100 * statistics.median(abs_errors), 1),
    "p90_abs_error_pct": round(100 * abs_errors[int(0.9 * (len(abs_errors) - 1))], 1),
    "max_abs_error_pct": round(100 * abs_errors[-1], 1),
    "pages_within_10pct": sum(1 for e in abs_errors if e <= 0.10),
}))
if upper_ratios:
    upper_ratios.sort()
    print(json.dumps({
        "bench": "token_upper_bound", "pages": len(upper_ratios), "tokenizer": "o200k_base",
        "total_ratio": round(total_upper / total_real, 3),
        "median_ratio": round(statistics.median(r for r, _ in upper_ratios), 3),
        "min_ratio": round(upper_ratios[0][0], 3), "min_page": upper_ratios[0][1],
        "max_ratio": round(upper_ratios[-1][0], 3),
        "pages_below_real": sum(1 for r, _ in upper_ratios if r < 1),
    }))
