import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../sharedData';
import { ggmlType, type GgmlTypeName } from '../../src/formats/ggmlTypes';

/**
 * Calls ggml's own reference quantisers and decoders, from the exact libggml-base.so that the pinned
 * node-llama-cpp (llama.cpp release v0.4.0, CPU, linux-x64) runs. A small C program (our own, declaring the
 * exported function signatures) is compiled once with the system C compiler and driven through stdin/stdout.
 */
const LIB_DIR = join(REPO_ROOT, 'node_modules', '@node-llama-cpp', 'linux-x64', 'bins', 'linux-x64');

const SOURCE = String.raw`
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef void (*quantize_fn)(const float *, void *, int64_t);
typedef void (*dequantize_fn)(const void *, float *, int64_t);
#define Q(name) void quantize_row_##name##_ref(const float *, void *, int64_t);
#define D(name) void dequantize_row_##name(const void *, float *, int64_t);
Q(q4_0) Q(q4_1) Q(q5_0) Q(q5_1) Q(q8_0) Q(q4_K) Q(q5_K) Q(q6_K)
D(q4_0) D(q4_1) D(q5_0) D(q5_1) D(q8_0) D(q4_K) D(q5_K) D(q6_K)
void ggml_fp32_to_fp16_row(const float *, uint16_t *, int64_t);
void ggml_fp16_to_fp32_row(const uint16_t *, float *, int64_t);
static void f16_q(const float *x, void *y, int64_t n) { ggml_fp32_to_fp16_row(x, (uint16_t *)y, n); }
static void f16_d(const void *x, float *y, int64_t n) { ggml_fp16_to_fp32_row((const uint16_t *)x, y, n); }
struct entry { const char *name; quantize_fn q; dequantize_fn d; };
static const struct entry table[] = {
  {"F16", f16_q, f16_d},
  {"Q4_0", quantize_row_q4_0_ref, dequantize_row_q4_0}, {"Q4_1", quantize_row_q4_1_ref, dequantize_row_q4_1},
  {"Q5_0", quantize_row_q5_0_ref, dequantize_row_q5_0}, {"Q5_1", quantize_row_q5_1_ref, dequantize_row_q5_1},
  {"Q8_0", quantize_row_q8_0_ref, dequantize_row_q8_0}, {"Q4_K", quantize_row_q4_K_ref, dequantize_row_q4_K},
  {"Q5_K", quantize_row_q5_K_ref, dequantize_row_q5_K}, {"Q6_K", quantize_row_q6_K_ref, dequantize_row_q6_K},
};
/* usage: ggml-ref q|d TYPE COUNT BYTES: reads the input from stdin, writes the output to stdout */
int main(int argc, char **argv) {
  if (argc != 5) return 2;
  int64_t n = atoll(argv[3]); size_t nbytes = (size_t)atoll(argv[4]);
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strcmp(table[i].name, argv[2]) != 0) continue;
    int quantizing = argv[1][0] == 'q';
    size_t in_size = quantizing ? (size_t)n * 4 : nbytes, out_size = quantizing ? nbytes : (size_t)n * 4;
    void *in = malloc(in_size), *out = calloc(1, out_size);
    if (fread(in, 1, in_size, stdin) != in_size) return 3;
    if (quantizing) table[i].q((const float *)in, out, n); else table[i].d(in, (float *)out, n);
    fwrite(out, 1, out_size, stdout);
    return 0;
  }
  return 4;
}
`;

let binary: string | undefined;

function harness(): string {
  if (binary) return binary;
  if (!existsSync(join(LIB_DIR, 'libggml-base.so'))) throw new Error(`llama.cpp CPU library missing: ${LIB_DIR}`);
  const hash = createHash('sha256').update(SOURCE).update(LIB_DIR).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'lora-lab-ggml-ref');
  const path = join(dir, `ggml-ref-${hash}`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const source = join(dir, `ggml-ref-${hash}-${process.pid}.c`);
    writeFileSync(source, SOURCE);
    const partial = `${path}.${process.pid}`;
    try {
      execFileSync('cc', ['-O1', '-o', partial, source, `-L${LIB_DIR}`, '-lggml-base', `-Wl,-rpath,${LIB_DIR}`]);
    } finally {
      rmSync(source, { force: true });
    }
    renameSync(partial, path);
  }
  binary = path;
  return path;
}

export type NativeType = 'F16' | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q8_0' | 'Q4_K' | 'Q5_K' | 'Q6_K';

function byteLength(type: GgmlTypeName, count: number): number {
  const t = ggmlType(type);
  return (count / t.blockElements) * t.blockBytes;
}

/** ggml's reference quantiser (`quantize_row_*_ref`; F16: `ggml_fp32_to_fp16_row`). */
export function ggmlQuantize(type: NativeType, values: Float32Array): Uint8Array {
  const bytes = byteLength(type, values.length);
  const out = execFileSync(harness(), ['q', type, String(values.length), String(bytes)], {
    input: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    maxBuffer: 1 << 30,
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** ggml's decoder (`dequantize_row_*`; F16: `ggml_fp16_to_fp32_row`). */
export function ggmlDequantize(type: NativeType, bytes: Uint8Array, count: number): Float32Array {
  const out = execFileSync(harness(), ['d', type, String(count), String(bytes.length)], { input: bytes, maxBuffer: 1 << 30 });
  return new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
}
