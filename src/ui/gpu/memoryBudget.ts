/**
 * The GPU memory budget the user sets in the GPU panel. Browsers do not tell a page how much memory the GPU has
 * (WebGPU exposes buffer limits, not a total), so without a budget only those limits are checked; with one, the
 * engine refuses a model or training run planned above it before allocating. Kept in localStorage: it describes
 * this machine, so it holds across reloads.
 */
const STORAGE_KEY = 'lora-lab.memoryBudgetGb';

/** What the field holds: a budget in bytes, none (empty), or text that is not a budget (with why). */
export type BudgetField = { bytes: number | null } | { error: string };

/** Reads the field's text, in GB (10^9 bytes, as the CLI's --memory-budget-gb). */
export function parseBudgetGb(text: string): BudgetField {
  const trimmed = text.trim();
  if (trimmed === '') return { bytes: null };
  const gb = Number(trimmed);
  if (!Number.isFinite(gb) || gb <= 0 || gb > 1e6) return { error: `"${trimmed}" is not a number of GB above 0` };
  return { bytes: Math.round(gb * 1e9) };
}

export function storedBudgetGb(storage: Pick<Storage, 'getItem'> = localStorage): string {
  return storage.getItem(STORAGE_KEY) ?? '';
}

export function storeBudgetGb(text: string, storage: Pick<Storage, 'setItem' | 'removeItem'> = localStorage): void {
  if (text.trim() === '') storage.removeItem(STORAGE_KEY);
  else storage.setItem(STORAGE_KEY, text.trim());
}
