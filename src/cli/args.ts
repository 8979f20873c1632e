import { CliUsageError } from './command';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

/**
 * Parses `--name value`, `--name=value` and bare `--switch` flags. `switches` lists the flags that take no
 * value; any flag not in `known` is an error, so typos fail before any work starts.
 */
export function parseArgs(args: string[], known: { values?: string[]; switches?: string[] }): ParsedArgs {
  const values = new Set(known.values ?? []);
  const switches = new Set(known.switches ?? []);
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    let value: string;
    if (switches.has(name)) {
      if (eq >= 0) throw new CliUsageError(`--${name} takes no value`);
      value = 'true';
    } else if (values.has(name)) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < args.length) value = args[++i];
      else throw new CliUsageError(`--${name} needs a value`);
    } else {
      throw new CliUsageError(`unknown option --${name}`);
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positional, flags };
}

export function flag(parsed: ParsedArgs, name: string): string | undefined {
  const v = parsed.flags.get(name);
  return v ? v[v.length - 1] : undefined;
}

export function numberFlag(parsed: ParsedArgs, name: string, fallback: number, check?: (n: number) => boolean): number {
  const raw = flag(parsed, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (check && !check(n))) {
    throw new CliUsageError(`--${name}: "${raw}" is not a valid value`);
  }
  return n;
}
