#!/usr/bin/env bash
# Before `npm run lab`: writes the embedded default model (a small Llama-shaped GGUF from our own writer, with
# llama.cpp's Llama/Mistral SentencePiece vocabulary and seeded random weights) into public/models/, once.
# It is generated, never committed. The sample shard and problem set in public/samples/ are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=public/models/tiny-llama.gguf
if [ ! -f "$out" ]; then
  mkdir -p public/models
  node --import tsx scripts/make-tiny-gguf.ts --out "$out.part" --shape mistral --type Q8_0 --vocab llama.cpp:llama-spm \
    --embd 128 --layers 2 --heads 4 --kv-heads 2 --ff 256 --context 1024 --seed 7
  mv "$out.part" "$out"
fi
