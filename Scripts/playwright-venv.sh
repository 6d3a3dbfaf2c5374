#!/usr/bin/env bash
# Puts Playwright's command line (PyPI package `playwright`, which bundles its own Node.js and the trace
# viewer) in .build/playwright-venv, to check that exported traces open in it. Prints the binary's path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.build/playwright-venv"
version="${PLAYWRIGHT_VERSION:-1.65.0}"
if [ ! -x "$venv/bin/playwright" ] || ! "$venv/bin/playwright" --version 2>/dev/null | grep -q "$version"; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "playwright==$version" >&2
fi
echo "$venv/bin/playwright"
