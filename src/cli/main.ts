import { commands } from './commands.ts';

function help(): string {
  const lines = commands.map((c) => `  edoc-node ${c.words.join(' ').padEnd(22)} ${c.summary}`);
  return ['edoc-node — agency node for the national document interchange axis', '', 'Commands:', ...lines, '', 'Run `edoc-node <command> --help` for its usage.'].join('\n');
}

/** Dispatches argv to the longest matching command; returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help' || argv[0] === '-h') {
    console.log(help());
    return 0;
  }
  const match = [...commands]
    .sort((a, b) => b.words.length - a.words.length)
    .find((c) => c.words.every((w, i) => argv[i] === w));
  if (!match) {
    console.error(`Unknown command: ${argv.join(' ')}\n\n${help()}`);
    return 3;
  }
  const rest = argv.slice(match.words.length);
  if (rest.includes('--help')) {
    console.log(`${match.summary}\n\nUsage: edoc-node ${match.usage}`);
    return 0;
  }
  return match.run(rest);
}
