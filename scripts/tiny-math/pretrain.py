"""Pretrains the bundled model (a Llama-architecture decoder) on the corpus corpus.ts wrote.

Our WebGPU engine trains LoRA adapters and could run this, but on a machine without a GPU it is far too slow
for the millions of tokens a base model needs (see models/README.md), so the base is pretrained once here, on
the CPU, with PyTorch. The math is llama.cpp's for the `llama` architecture, so the weights go into GGUF as
they are: RMSNorm, rotary embeddings on adjacent pairs (llama.cpp's "normal" rope, the order GGUF stores),
grouped-query attention (query head h reads key/value head h // (heads / kv_heads)), SwiGLU.

    python3 scripts/tiny-math/pretrain.py --data DIR --out DIR [--steps N] [--seed S] ...

Writes DIR/weights.bin (f32, little-endian, tensors back to back) and DIR/weights.json (GGUF names, ggml-order
dims, offsets, the hyperparameters and the loss curve).
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rope(x, base):
    """x: (B, H, T, D); rotates pairs (2i, 2i+1) by position * base^(-2i/D)."""
    _, _, t, d = x.shape
    inv = base ** (-torch.arange(0, d, 2, dtype=torch.float32) / d)
    angle = torch.arange(t, dtype=torch.float32)[:, None] * inv[None, :]
    cos, sin = angle.cos(), angle.sin()
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)


class Model(torch.nn.Module):
    def __init__(self, vocab, dim, layers, heads, kv_heads, ff, eps, rope_base):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim, self.eps, self.rope_base = heads, kv_heads, dim // heads, eps, rope_base
        p = lambda *shape: torch.nn.Parameter(torch.empty(*shape))
        self.tensors = {}  # GGUF name -> parameter (module attribute names cannot hold dots)
        self.tensors['token_embd.weight'] = p(vocab, dim)
        self.tensors['output_norm.weight'] = p(dim)
        self.tensors['output.weight'] = p(vocab, dim)
        kv = self.head_dim * kv_heads
        shapes = {'attn_norm': (dim,), 'attn_q': (dim, dim), 'attn_k': (kv, dim), 'attn_v': (kv, dim), 'attn_output': (dim, dim),
                  'ffn_norm': (dim,), 'ffn_gate': (ff, dim), 'ffn_up': (ff, dim), 'ffn_down': (dim, ff)}
        self.layers = layers
        for i in range(layers):
            for name, shape in shapes.items():
                self.tensors[f'blk.{i}.{name}.weight'] = p(*shape)
        self.params = torch.nn.ParameterList(self.tensors.values())
        for name, t in self.tensors.items():
            if t.dim() == 1:
                torch.nn.init.ones_(t)
            else:
                # Residual projections start smaller so the stack starts near the identity (GPT-2's scaling).
                scale = 0.02 / math.sqrt(2 * layers) if name.endswith(('attn_output.weight', 'ffn_down.weight')) else 0.02
                torch.nn.init.normal_(t, std=scale)

    def forward(self, ids):
        w = self.tensors
        b, t = ids.shape
        x = w['token_embd.weight'][ids]
        mask = torch.full((t, t), float('-inf')).triu(1)
        rep = self.heads // self.kv_heads
        for i in range(self.layers):
            g = lambda n: w[f'blk.{i}.{n}.weight']
            h = rms_norm(x, g('attn_norm'), self.eps)
            q = (h @ g('attn_q').T).view(b, t, self.heads, self.head_dim).transpose(1, 2)
            k = (h @ g('attn_k').T).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            v = (h @ g('attn_v').T).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            q, k = rope(q, self.rope_base), rope(k, self.rope_base)
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
            att = (q @ k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask
            o = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)
            x = x + o @ g('attn_output').T
            h = rms_norm(x, g('ffn_norm'), self.eps)
            x = x + (F.silu(h @ g('ffn_gate').T) * (h @ g('ffn_up').T)) @ g('ffn_down').T
        return rms_norm(x, w['output_norm.weight'], self.eps) @ w['output.weight'].T


def batches(data_dir, batch, seed):
    tokens = np.fromfile(os.path.join(data_dir, 'tokens.bin'), dtype='<u2').astype(np.int64)
    targets = np.fromfile(os.path.join(data_dir, 'targets.bin'), dtype=np.uint8)
    offsets = np.fromfile(os.path.join(data_dir, 'offsets.bin'), dtype='<u4').astype(np.int64)
    rng = np.random.default_rng(seed)
    n = len(offsets) - 1
    while True:
        order = rng.permutation(n)
        for start in range(0, n - batch + 1, batch):
            pick = order[start:start + batch]
            lengths = offsets[pick + 1] - offsets[pick]
            ids = np.zeros((batch, int(lengths.max())), dtype=np.int64)
            mask = np.zeros(ids.shape, dtype=np.float32)
            for r, (e, length) in enumerate(zip(pick, lengths)):
                ids[r, :length] = tokens[offsets[e]:offsets[e] + length]
                mask[r, :length] = targets[offsets[e]:offsets[e] + length]
            yield torch.from_numpy(ids), torch.from_numpy(mask)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--dim', type=int, default=128)
    ap.add_argument('--layers', type=int, default=4)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--kv-heads', type=int, default=2)
    ap.add_argument('--ff', type=int, default=384)
    ap.add_argument('--context', type=int, default=512)
    ap.add_argument('--steps', type=int, default=3000)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--warmup', type=int, default=100)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    corpus = json.load(open(os.path.join(a.data, 'corpus.json')))
    eps, rope_base = 1e-5, 10000.0
    model = Model(corpus['vocabSize'], a.dim, a.layers, a.heads, a.kv_heads, a.ff, eps, rope_base)
    decay = [t for n, t in model.tensors.items() if t.dim() == 2]
    other = [t for n, t in model.tensors.items() if t.dim() == 1]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': other, 'weight_decay': 0.0}], lr=a.lr, betas=(0.9, 0.95))
    schedule = lambda s: min(1.0, (s + 1) / a.warmup) * 0.5 * (1 + math.cos(math.pi * min(s, a.steps) / a.steps))
    losses, seen, started = [], 0, time.time()
    data = batches(a.data, a.batch, a.seed)
    for step in range(a.steps):
        ids, mask = next(data)
        for group in opt.param_groups:
            group['lr'] = a.lr * schedule(step)
        logits = model(ids[:, :-1])
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction='none')
        loss = (nll * mask[:, 1:].reshape(-1)).sum() / mask[:, 1:].sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        seen += int(ids.numel())
        if step % 50 == 0 or step == a.steps - 1:
            losses.append({'step': step + 1, 'loss': round(loss.item(), 4)})
            print(f'step {step + 1}/{a.steps} loss {loss.item():.4f} tokens {seen} {time.time() - started:.0f}s', flush=True)
    os.makedirs(a.out, exist_ok=True)
    manifest = {'hyper': {'vocab': corpus['vocabSize'], 'dim': a.dim, 'layers': a.layers, 'heads': a.heads, 'kvHeads': a.kv_heads,
                          'ff': a.ff, 'context': a.context, 'eps': eps, 'ropeBase': rope_base},
                'training': {'steps': a.steps, 'batch': a.batch, 'lr': a.lr, 'warmup': a.warmup, 'seed': a.seed,
                             'tokens': seen, 'seconds': round(time.time() - started, 1), 'losses': losses},
                'tensors': []}
    offset = 0
    with open(os.path.join(a.out, 'weights.bin'), 'wb') as f:
        for name, t in model.tensors.items():
            values = t.detach().contiguous().numpy().astype('<f4')
            f.write(values.tobytes())
            # ggml order: the contiguous (input) dimension first.
            manifest['tensors'].append({'name': name, 'dims': list(reversed(values.shape)), 'offset': offset})
            offset += values.nbytes
    json.dump(manifest, open(os.path.join(a.out, 'weights.json'), 'w'), indent=1)


if __name__ == '__main__':
    main()
