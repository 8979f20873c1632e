/**
 * An error the UI can show as it is: what failed, where (file, row, tensor, field), and what the user can do.
 * The message carries all three so it survives structured cloning across the worker boundary.
 */
export class LabError extends Error {
  constructor(
    readonly what: string,
    readonly where?: string,
    readonly hint?: string,
  ) {
    super([where ? `${where}: ${what}` : what, hint].filter(Boolean).join(' — '));
    this.name = 'LabError';
  }
}
