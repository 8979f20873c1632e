/** The scaling experiment's training-set sizes as typed ("1000, 2000, 4000"), or what is wrong with them. */
export function parseSizes(text: string): { sizes: number[] } | { error: string } {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  if (parts.length === 0) return { error: 'Give at least one size, e.g. 8, 16, 32.' };
  const sizes: number[] = [];
  for (const part of parts) {
    const n = Number(part.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 1) return { error: `"${part}" is not a whole number of examples (1 or more).` };
    if (sizes.length > 0 && n <= sizes[sizes.length - 1]) return { error: `Sizes must grow: ${n} comes after ${sizes[sizes.length - 1]}.` };
    sizes.push(n);
  }
  return { sizes };
}

/** Sizes that double from `smallest` up to `largest` at most: the usual x axis of a data-scaling curve. */
export function doublingSizes(smallest: number, largest: number): number[] {
  const sizes: number[] = [];
  for (let n = smallest; n <= largest; n *= 2) sizes.push(n);
  return sizes;
}
