/** A `lora-lab` subcommand. Each lives in `src/cli/commands/<name>.ts` and exports `command`. */
export interface CliCommand {
  name: string;
  /** One line for `lora-lab --help`. */
  summary: string;
  /** Full usage text, printed for `lora-lab <name> --help` and with usage errors. */
  usage: string;
  /** Results go to `io.out` (stdout); progress and diagnostics to `io.err` (stderr). Returns the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** A usage or input error: printed as one line naming the file and field, exit code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
