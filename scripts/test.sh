#!/usr/bin/env bash
# `npm test`: type checks, unit tests on a real WebGPU device (Dawn; SwiftShader where no GPU is chosen),
# then the built lab end to end in headless Chromium. Ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFTSHADER=/usr/lib/chromium/vk_swiftshader_icd.json
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -z "${LORA_LAB_NATIVE_GPU:-}" ] && [ -f "$SWIFTSHADER" ]; then
  export VK_ICD_FILENAMES="$SWIFTSHADER"
fi
# Dawn's Vulkan loader looks for a runtime directory; give it one so its log stays clean.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"

reports=$(mktemp -d)
status=0
npm run --silent check || status=1
npx vitest run --reporter=default --reporter=json --outputFile.json="$reports/unit.json" || status=1
bash scripts/prepare-lab.sh || status=1
npx vite build --logLevel warn || status=1
npx vitest run --config vitest.e2e.config.ts --reporter=default --reporter=json --outputFile.json="$reports/e2e.json" || status=1

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const name of ["unit.json", "e2e.json"]) {
    const file = process.argv[1] + "/" + name;
    if (!fs.existsSync(file)) { failed++; console.error(`no report from ${name}: that suite did not run`); continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (skipped) { console.error("skipped tests are not allowed: a GPU test that finds no adapter must fail"); process.exitCode = 1; }
  if (failed) process.exitCode = 1;
' "$reports" || status=1
exit $status
