#!/usr/bin/env bash
# Before `npm run lab`: puts the bundled model (models/tiny-math.gguf, pretrained by scripts/tiny-math, see
# models/README.md) where the page fetches it, public/models/. The sample shards and problem set in
# public/samples/ are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p public/models
cmp -s models/tiny-math.gguf public/models/tiny-math.gguf || cp models/tiny-math.gguf public/models/tiny-math.gguf
