#!/usr/bin/env bash
# Builds the DocC documentation of every target with a catalog into .build/docs/<Target>, treating
# every warning (an unresolved link, an undocumented parameter) as an error.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/docs
mkdir -p "$out"
for catalog in Sources/*/*.docc; do
    target=$(basename "$(dirname "$catalog")")
    echo "== $target"
    swift package --allow-writing-to-directory "$out" generate-documentation --target "$target" \
        --output-path "$out/$target" --warnings-as-errors
done
echo "documentation in $out/"
