/**
 * Streams generated text while watching for stop strings: text that might be the start of a stop string is
 * held back until it is certain either way, so a stop string never reaches the user, not even in part.
 */
export class StopStringFilter {
  private text = '';
  private emitted = 0;
  stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  /** Adds newly decoded text; returns the text that is now safe to show. */
  push(piece: string): string {
    if (this.stopped) return '';
    this.text += piece;
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.text.indexOf(stop, Math.max(0, this.emitted - stop.length + 1));
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.stopped = true;
      this.text = this.text.slice(0, cut);
      return this.take(cut);
    }
    return this.take(this.text.length - this.heldBack());
  }

  /** Ends the stream: whatever was held back is shown. */
  flush(): string {
    return this.stopped ? '' : this.take(this.text.length);
  }

  /** The whole text so far, without any stop string. */
  get output(): string {
    return this.text;
  }

  private take(until: number): string {
    if (until <= this.emitted) return '';
    const out = this.text.slice(this.emitted, until);
    this.emitted = until;
    return out;
  }

  /** Length of the longest suffix of the text that is a proper prefix of some stop string. */
  private heldBack(): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, this.text.length); n > longest; n--) {
        if (this.text.endsWith(stop.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
