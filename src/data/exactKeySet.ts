/**
 * 53-bit text hashes (textKeys.hash53) to the id of the row that has one, by open addressing in typed arrays:
 * 12 bytes a slot, at most three quarters full, where a Map would cost some 80 bytes a key.
 */
import { mix32 } from './textKeys';

const EMPTY = -1;
const TWO_32 = 0x100000000;

export class ExactKeySet {
  private high = new Uint32Array(1024);
  private low = new Uint32Array(1024);
  private ids = new Int32Array(1024).fill(EMPTY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The id stored with `key`, or undefined. */
  get(key: number): number | undefined {
    const id = this.ids[this.slotOf(key)];
    return id === EMPTY ? undefined : id;
  }

  /** Stores `id` under `key` unless the key is there already (the first id stays). */
  add(key: number, id: number): void {
    if ((this.count + 1) * 4 > this.ids.length * 3) this.rehash(this.ids.length * 2, Number.POSITIVE_INFINITY);
    this.put(key, id);
  }

  /** Forgets the keys of ids `rows` and after. */
  truncate(rows: number): void {
    this.rehash(this.ids.length, rows);
  }

  private put(key: number, id: number): void {
    const slot = this.slotOf(key);
    if (this.ids[slot] !== EMPTY) return;
    this.high[slot] = Math.floor(key / TWO_32);
    this.low[slot] = key >>> 0;
    this.ids[slot] = id;
    this.count++;
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private slotOf(key: number): number {
    const high = Math.floor(key / TWO_32);
    const low = key >>> 0;
    const mask = this.ids.length - 1;
    let slot = mix32(low ^ mix32(high)) & mask;
    while (this.ids[slot] !== EMPTY && (this.low[slot] !== low || this.high[slot] !== high)) slot = (slot + 1) & mask;
    return slot;
  }

  private rehash(size: number, belowId: number): void {
    const [high, low, ids] = [this.high, this.low, this.ids];
    this.high = new Uint32Array(size);
    this.low = new Uint32Array(size);
    this.ids = new Int32Array(size).fill(EMPTY);
    this.count = 0;
    for (let slot = 0; slot < ids.length; slot++) {
      if (ids[slot] !== EMPTY && ids[slot] < belowId) this.put(high[slot] * TWO_32 + low[slot], ids[slot]);
    }
  }
}
