/**
 * A fingerprint of cleaned examples in order: what a run trained on, recorded so that the same rows can be rebuilt
 * later from the same shards (an export to other trainers) and a different set of shards is refused. Every field
 * that reaches training (kind, texts, stage and level for a curriculum, where the row came from) is covered.
 */
import type { Example } from './example';
import { hash53, mix32 } from './textKeys';

export function examplesFingerprint(examples: Iterable<Example>): string {
  let a = 0x243f6a88;
  let b = 0x85a308d3;
  let count = 0;
  for (const e of examples) {
    const h = hash53([e.kind, e.prompt, e.response, e.stage ?? '', e.level ?? '', e.source ?? '', e.shard, e.row].join('\u0000'));
    a = mix32((a ^ (h % 0x100000000)) + 0x9e3779b9);
    b = mix32(Math.imul(b, 31) ^ Math.floor(h / 0x100000000));
    count++;
  }
  return `${count}-${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}
