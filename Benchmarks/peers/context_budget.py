#!/usr/bin/env python3
"""Counts the agent contexts written by `shared-browser-bench reading DIR --page OUT` with the real
o200k tokenizer and checks each against the budget it was composed for (the file name ends in
`.BUDGET.txt`). Prints one JSON summary; exits 1 when any context is over its budget.

    pip install quicktok-v1
    python3 Benchmarks/peers/context_budget.py OUT
"""
import json
import os
import sys

import quicktok

encoding = quicktok.get_encoding("o200k_base")
folder = sys.argv[1]
over, uses = [], []
for name in sorted(os.listdir(folder)):
    if not name.endswith(".txt"):
        continue
    budget = int(name.rsplit(".", 2)[-2])
    real = len(encoding.encode(open(os.path.join(folder, name), encoding="utf-8").read()))
    uses.append(real / budget)
    if real > budget:
        over.append({"file": name, "real": real, "budget": budget})
uses.sort()
print(json.dumps({"bench": "context_budget", "tokenizer": "o200k_base", "contexts": len(uses), "over_budget": len(over),
                  "median_use": round(uses[len(uses) // 2], 3) if uses else None,
                  "min_use": round(uses[0], 3) if uses else None, "max_use": round(uses[-1], 3) if uses else None,
                  "worst": over[:5]}))
sys.exit(1 if over else 0)
