// One CLI command: its words (e.g. ["audit", "verify"]), a one-line summary, usage, and a runner that
// returns the process exit code. Commands are listed in src/cli/commands.ts.
export interface CliCommand {
  readonly words: readonly string[];
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[]): Promise<number>;
}

/** Minimal flag parser: `--name value`, `--flag`, repeated flags collected; the rest are positionals. */
export function parseFlags(args: readonly string[], booleans: readonly string[] = []): { flags: Map<string, string[]>; positionals: string[] } {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) { positionals.push(arg); continue; }
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? (booleans.includes(name) ? 'true' : args[++i]);
    if (value === undefined) throw new Error(`--${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { flags, positionals };
}
