// The audit log: every change to a document, an assignment, a user, a key or a book appends an entry.
// Entries are chained per agency: hash_n = SHA-256(hash_{n-1} || UTF-8(entry_n)), hash_0 = 32 zero bytes.
// The head (last seq and hash) is kept apart, so that removing the newest entries is detected as well.
import { createHash } from 'node:crypto';

export interface AuditEvent {
  readonly actor: string; // user id, or 'system'
  readonly action: string; // e.g. 'incoming.register', 'outgoing.issue', 'user.create', 'register.open'
  readonly subjectType: 'document' | 'assignment' | 'user' | 'key' | 'register' | 'agency' | 'dossier' | 'attachment' | 'session' | 'quarantine';
  readonly subjectId: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface AuditLog {
  append(chain: string, event: AuditEvent): Promise<void>;
}

export const GENESIS_HASH = Buffer.alloc(32);

/** JSON with object keys sorted at every level: the same value always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(isDefined).sort(byKey);
  return `{${entries.map(member).join(',')}}`;
}

// The callbacks at module level: a closure made per call loses its optimised code at each full GC.
type Entry = [string, unknown];
const isDefined = ([, v]: Entry): boolean => v !== undefined;
const byKey = ([a]: Entry, [b]: Entry): number => (a < b ? -1 : a > b ? 1 : 0);
const member = ([k, v]: Entry): string => `${JSON.stringify(k)}:${canonicalJson(v)}`;

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The entry text stored and hashed: who, what, when, and digests of the state before and after. */
export function auditEntryText(chain: string, event: AuditEvent, at: Date, extra: Record<string, unknown> = {}): string {
  return canonicalJson({
    ...extra,
    v: 1,
    chain,
    at: at.toISOString(),
    actor: event.actor,
    action: event.action,
    subject: { type: event.subjectType, id: event.subjectId },
    beforeDigest: event.before === undefined ? null : sha256Hex(canonicalJson(event.before)),
    afterDigest: event.after === undefined ? null : sha256Hex(canonicalJson(event.after)),
  });
}

/**
 * For an entry that records a number taken under the book's row lock (the số đến): the entry text split
 * around that number, so that it is prepared before the lock. The entry then carries `registeredNumber`
 * next to the digests.
 */
export function auditEntryTextAroundNumber(chain: string, event: AuditEvent, at: Date): { prefix: string; suffix: string } {
  const placeholder = '@@registeredNumber@@';
  const marker = JSON.stringify(placeholder);
  const text = auditEntryText(chain, event, at, { registeredNumber: placeholder });
  const index = text.indexOf(marker);
  return { prefix: text.slice(0, index), suffix: text.slice(index + marker.length) };
}

export const chainHash = (previous: Buffer, entryText: string): Buffer =>
  createHash('sha256').update(previous).update(entryText, 'utf8').digest();

export interface AuditRow {
  readonly seq: number;
  readonly entry: string;
  readonly hash: Buffer;
}

export interface AuditHead {
  readonly seq: number;
  readonly lastHash: Buffer;
}

export interface BrokenLink {
  readonly chain: string;
  readonly seq: number;
  readonly reason: 'hash_mismatch' | 'missing_entry' | 'head_mismatch' | 'missing_head';
  readonly message: string;
}

/** Walks one chain in seq order; returns the first broken link, or null when the chain is intact. */
export async function verifyAuditChain(chain: string, rows: AsyncIterable<AuditRow>, head: AuditHead | null): Promise<{ broken: BrokenLink | null; entries: number }> {
  let previous: Buffer = GENESIS_HASH;
  let expectedSeq = 1;
  for await (const row of rows) {
    if (row.seq !== expectedSeq) {
      return { broken: { chain, seq: expectedSeq, reason: 'missing_entry', message: `entry ${expectedSeq} of chain ${chain} is missing (next present: ${row.seq})` }, entries: expectedSeq - 1 };
    }
    if (!chainHash(previous, row.entry).equals(row.hash)) {
      return { broken: { chain, seq: row.seq, reason: 'hash_mismatch', message: `entry ${row.seq} of chain ${chain} was altered (its hash does not follow from the previous entry)` }, entries: expectedSeq - 1 };
    }
    previous = row.hash;
    expectedSeq += 1;
  }
  const count = expectedSeq - 1;
  if (!head) {
    return count === 0 ? { broken: null, entries: 0 } : { broken: { chain, seq: count, reason: 'missing_head', message: `chain ${chain} has no head record` }, entries: count };
  }
  if (head.seq !== count || !head.lastHash.equals(previous)) {
    return { broken: { chain, seq: count + 1, reason: 'head_mismatch', message: `chain ${chain} ends at entry ${count} but its head records ${head.seq}: entries were removed or altered` }, entries: count };
  }
  return { broken: null, entries: count };
}

export interface AuditReader {
  chains(): Promise<string[]>;
  head(chain: string): Promise<AuditHead | null>;
  rows(chain: string): AsyncIterable<AuditRow>;
  entries(chain: string, limit: number, beforeSeq?: number): Promise<{ seq: number; entry: unknown }[]>;
}
