// `edoc-node axis dead-letters` and `edoc-node axis redrive` (docs/axis.md "Dead letters"): the operator's
// view of the broker's dead-letter queue, where a message ends after the delivery limit (a poison package,
// or a receiver that kept failing: a full disk, say) or when it can never be processed. Listing leaves the
// queue as it was; re-driving publishes the chosen letters again to their recipients' inboxes, with their
// message ids, so a letter that had in fact been processed changes nothing (the inbox dedupes it).
// Exit codes: 0 done, 2 configuration invalid, 3 usage or in-process axis, 4 the broker cannot be reached.
import { openAxisDeadLetters } from '../app.ts';
import type { AxisDeadLetter } from '../domain/axis-transport.ts';
import { isDomainError } from '../domain/errors.ts';
import { parseFlags, type CliCommand } from './command.ts';
import { loadConfigOrReport } from './node-config.ts';

const DEFAULT_MAX = 1000;

function line(letter: AxisDeadLetter): string {
  const h = letter.headers;
  const chunk = letter.chunk ? ` phần ${letter.chunk.index + 1}/${letter.chunk.count}` : '';
  return `  ${h.messageId ?? '(không có mã)'}  ${h.messageType ?? '?'}${chunk}  ${h.from ?? '?'} → ${h.to ?? '?'}  ${letter.size} B  ${letter.reason}  ${letter.deadLetteredAt ?? ''}`.trimEnd();
}

/** Opens the dead-letter queue, runs `work`, reports errors the CLI way. */
async function withDeadLetters(work: (queue: Awaited<ReturnType<typeof openAxisDeadLetters>>) => Promise<void>): Promise<number> {
  const config = loadConfigOrReport();
  if (!config) return 2;
  let queue;
  try {
    queue = await openAxisDeadLetters(config);
    await work(queue);
    return 0;
  } catch (error) {
    if (!isDomainError(error)) throw error;
    console.error(`${error.messageVi} — ${error.message}${error.details.length ? ` (${error.details.map((d) => d.message).join('; ')})` : ''}`);
    return error.kind === 'unavailable' ? 4 : 3;
  } finally { await queue?.close(); }
}

const maxOf = (flags: Map<string, string[]>): number | undefined => {
  const max = Number(flags.get('max')?.at(-1) ?? DEFAULT_MAX);
  return Number.isSafeInteger(max) && max > 0 ? max : undefined;
};

export const deadLettersCommand: CliCommand = {
  words: ['axis', 'dead-letters'],
  summary: 'list the messages in the broker\'s dead-letter queue (left there), oldest first',
  usage: `axis dead-letters [--max N (default ${DEFAULT_MAX})] [--json]   (AXIS_URL and axis.prefix as for start)`,
  async run(args) {
    const { flags } = parseFlags(args, ['json']);
    const max = maxOf(flags);
    if (max === undefined) { console.error(`usage: edoc-node ${this.usage}`); return 3; }
    return withDeadLetters(async (queue) => {
      const letters = await queue.listDeadLetters(max);
      if (flags.has('json')) { console.log(JSON.stringify({ deadLetters: letters }, null, 2)); return; }
      console.log(`Gói tin không xử lý được trên trục (dead-letter) — dead letters: ${letters.length}`);
      for (const letter of letters) console.log(line(letter));
    });
  },
};

export const redriveCommand: CliCommand = {
  words: ['axis', 'redrive'],
  summary: 'publish dead letters again to their recipients\' inboxes (by message id, by recipient, or all)',
  usage: `axis redrive (--message-id ID [--message-id ID …] | --to ORGAN_ID | --all) [--max N] [--json]   (AXIS_URL as for start)`,
  async run(args) {
    const { flags } = parseFlags(args, ['all', 'json']);
    const ids = new Set(flags.get('message-id') ?? []);
    const to = flags.get('to')?.at(-1);
    const max = maxOf(flags);
    const selectors = [ids.size > 0, to !== undefined, flags.has('all')].filter(Boolean).length;
    if (selectors !== 1 || max === undefined) {
      console.error(`Chọn đúng một trong --message-id, --to, --all — choose exactly one of --message-id, --to, --all\nusage: edoc-node ${this.usage}`);
      return 3;
    }
    const select = (letter: AxisDeadLetter): boolean =>
      ids.size > 0 ? ids.has(letter.headers.messageId ?? '') : to !== undefined ? letter.headers.to === to : true;
    return withDeadLetters(async (queue) => {
      const redriven = await queue.redriveDeadLetters(select, max);
      if (flags.has('json')) { console.log(JSON.stringify({ redriven }, null, 2)); return; }
      console.log(`Đã gửi lại ${redriven.length} gói tin tới hộp thư đến của cơ quan nhận — re-driven: ${redriven.length}`);
      for (const letter of redriven) console.log(line(letter));
    });
  },
};
