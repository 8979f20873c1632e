/**
 * LSH buckets for near-duplicate search in typed arrays rather than a Map of arrays per band (which costs over a
 * kilobyte of heap per kept row at 16 bands): one open-addressing table keyed by (band, band key) holding the
 * newest entry of each bucket, and a `next` link per (row, band) entry through the older ones.
 */
const EMPTY = -1;

export class BandIndex {
  private slotKeys: Uint32Array;
  private slotBands: Uint8Array;
  private slotHeads: Int32Array;
  private next: Int32Array;
  private usedSlots = 0;

  constructor(private readonly bands: number) {
    if (!Number.isInteger(bands) || bands < 1 || bands > 255) throw new RangeError(`bands must be an integer in 1..255, got ${bands}`);
    this.slotKeys = new Uint32Array(1024);
    this.slotBands = new Uint8Array(1024);
    this.slotHeads = new Int32Array(1024).fill(EMPTY);
    this.next = new Int32Array(1024 * bands);
  }

  /** Files row `id` (ids given in order 0, 1, 2…) under each band's key. */
  add(id: number, bandKeys: ArrayLike<number>): void {
    if ((id + 1) * this.bands > this.next.length) this.next = grown(this.next, (id + 1) * this.bands);
    if ((this.usedSlots + this.bands) * 4 > this.slotHeads.length * 3) this.rehash();
    for (let band = 0; band < this.bands; band++) {
      const slot = this.slotOf(band, bandKeys[band]);
      const entry = id * this.bands + band;
      if (this.slotHeads[slot] === EMPTY) {
        this.usedSlots++;
        this.slotKeys[slot] = bandKeys[band];
        this.slotBands[slot] = band;
        this.next[entry] = EMPTY;
      } else {
        this.next[entry] = this.slotHeads[slot];
      }
      this.slotHeads[slot] = entry;
    }
  }

  /** Calls `visit` with every row sharing a bucket with these band keys (a row may come once per shared band). */
  candidates(bandKeys: ArrayLike<number>, visit: (id: number) => void): void {
    for (let band = 0; band < this.bands; band++) {
      for (let entry = this.slotHeads[this.slotOf(band, bandKeys[band])]; entry !== EMPTY; entry = this.next[entry])
        visit((entry / this.bands) | 0);
    }
  }

  /** The slot holding (band, key), or the empty slot where it would go. */
  private slotOf(band: number, key: number): number {
    const mask = this.slotHeads.length - 1;
    let slot = (Math.imul(key ^ Math.imul(band, 0x9e3779b1), 0x85ebca6b) >>> 0) & mask;
    while (this.slotHeads[slot] !== EMPTY && (this.slotKeys[slot] !== key >>> 0 || this.slotBands[slot] !== band)) slot = (slot + 1) & mask;
    return slot;
  }

  private rehash(): void {
    const [keys, bands, heads] = [this.slotKeys, this.slotBands, this.slotHeads];
    const size = heads.length * 2;
    this.slotKeys = new Uint32Array(size);
    this.slotBands = new Uint8Array(size);
    this.slotHeads = new Int32Array(size).fill(EMPTY);
    for (let old = 0; old < heads.length; old++) {
      if (heads[old] === EMPTY) continue;
      const slot = this.slotOf(bands[old], keys[old]);
      this.slotKeys[slot] = keys[old];
      this.slotBands[slot] = bands[old];
      this.slotHeads[slot] = heads[old];
    }
  }
}

function grown(array: Int32Array, atLeast: number): Int32Array {
  const out = new Int32Array(Math.max(atLeast, array.length * 2));
  out.set(array);
  return out;
}
