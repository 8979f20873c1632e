import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliUsageError, type CliCommand, type CliIo } from './command';
import { LabError } from '../errors';

const COMMAND_DIR = fileURLToPath(new URL('./commands/', import.meta.url));

function commandNames(): string[] {
  return readdirSync(COMMAND_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function loadCommand(name: string): Promise<CliCommand | undefined> {
  if (!commandNames().includes(name)) return undefined;
  const module = (await import(`./commands/${name}.ts`)) as { command: CliCommand };
  return module.command;
}

async function help(io: CliIo): Promise<void> {
  const lines = ['usage: lora-lab <command> [options]', '', 'commands:'];
  for (const name of commandNames()) {
    const command = await loadCommand(name);
    if (command) lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  }
  lines.push('', "lora-lab <command> --help shows a command's options.");
  io.out(lines.join('\n') + '\n');
}

/** Runs one `lora-lab` invocation and returns its exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    await help(io);
    return name ? 0 : 2;
  }
  const command = await loadCommand(name);
  if (!command) {
    io.err(`lora-lab: unknown command "${name}" (try lora-lab --help)\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.err(`lora-lab ${name}: ${error.message}\n${command.usage.trimEnd()}\n`);
      return 2;
    }
    if (error instanceof LabError) {
      io.err(`lora-lab ${name}: ${error.message}\n`);
      return 1;
    }
    io.err(`lora-lab ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
