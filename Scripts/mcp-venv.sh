#!/usr/bin/env bash
# Puts the Python MCP SDK (PyPI package `mcp`, a client this project did not write) in
# .build/mcp-venv, for the tests of shared-browser-mcp. Prints the venv's python.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.build/mcp-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import mcp" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "mcp>=1.20" >&2
fi
echo "$venv/bin/python"
