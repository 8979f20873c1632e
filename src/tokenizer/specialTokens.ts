/** A stretch of input: plain text to tokenize, or a special token already recognised in it. */
export type Fragment = { text: string } | { id: number };

/**
 * Cuts the special tokens out of text, as llama.cpp does before tokenizing: tokens are tried longest text
 * first, each splitting every remaining text fragment at all of its occurrences. `specials` is that ordered
 * list of [id, text]; the caller picks which token kinds it contains (user-defined tokens always, control and
 * unknown tokens only when parsing special tokens is allowed).
 */
export function splitSpecialTokens(text: string, specials: readonly (readonly [number, string])[]): Fragment[] {
  let fragments: Fragment[] = text.length > 0 ? [{ text }] : [];
  for (const [id, special] of specials) {
    if (!fragments.some((f) => 'text' in f && f.text.includes(special))) continue;
    const next: Fragment[] = [];
    for (const fragment of fragments) {
      if (!('text' in fragment)) {
        next.push(fragment);
        continue;
      }
      let from = 0;
      for (let at = fragment.text.indexOf(special); at >= 0; at = fragment.text.indexOf(special, from)) {
        if (at > from) next.push({ text: fragment.text.slice(from, at) });
        next.push({ id });
        from = at + special.length;
      }
      if (from < fragment.text.length) next.push({ text: fragment.text.slice(from) });
    }
    fragments = next;
  }
  return fragments;
}
