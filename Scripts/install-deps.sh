#!/usr/bin/env bash
# Installs what SharedBrowser needs on Debian or Ubuntu when it is missing:
# Chromium, libwebsockets and libxml2 headers, pkg-config. Safe to run again: it installs nothing
# that is already there.
set -euo pipefail

missing=()
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
   && ! command -v google-chrome >/dev/null 2>&1 && [ -z "${CHROME_PATH:-}" ]; then
  missing+=(chromium)
fi
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists libwebsockets 2>/dev/null; then missing+=(libwebsockets-dev); fi
if ! pkg-config --exists libxml-2.0 2>/dev/null; then missing+=(libxml2-dev); fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: chromium, libwebsockets-dev, libxml2-dev and pkg-config are present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: apt-get not found; install these yourself: ${missing[*]}" >&2
  echo "      (Chromium can also be named with CHROME_PATH=/path/to/chrome)" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo -n"
else
  echo "deps: need root to install ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: installed ${missing[*]}"
