"""o200k tokens of text files, each and in all: for context a tool makes an agent read that is not an
MCP tools/list (a peer's skill files, say).

    pip install quicktok-v1
    python3 count_tokens.py FILE [FILE ...]

Prints one JSON object.
"""
import json
import sys

import quicktok

encoding = quicktok.get_encoding("o200k_base")
counts = {path: len(encoding.encode(open(path, encoding="utf-8").read())) for path in sys.argv[1:]}
print(json.dumps({"bench": "o200k_tokens", "files": counts, "total": sum(counts.values())}))
