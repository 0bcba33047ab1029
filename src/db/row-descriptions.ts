// PostgreSQL describes the rows of every execution (RowDescription), named statement or not, and pg's
// `Result.addFields` makes the row's value parsers and its empty row object for it again each time: a
// dictionary-mode object spread once per statement, ~20 µs of CPU for a 25-column row on this machine
// (a pg client alone, 7 Dec: 87 → 69 µs per statement). A description seen before on the connection
// (same column names, types and formats) reuses what was made for it the first time.
// The parsers come from the connection's type overrides (`pg.Client#_types`, one per connection): the node
// sets its parsers when it opens the database (src/db/connection.ts) and never changes them afterwards,
// which a cache keyed on that object relies on.
import { createRequire } from 'node:module';

interface FieldDescription {
  readonly name: string;
  readonly dataTypeID: number;
  readonly format?: string;
}

interface PgResult {
  fields: readonly FieldDescription[];
  _types?: object;
  _parsers?: unknown[];
  _prebuiltEmptyResultObject: object | null;
  addFields(fields: readonly FieldDescription[]): void;
}

interface Made {
  readonly parsers: unknown[] | undefined;
  readonly emptyRow: object | null;
}

/** Per connection's type overrides (or pg's global types), descriptions by key; bounded. */
const madeFor = new WeakMap<object, Map<string, Made>>();
const GLOBAL_TYPES = {};
const MAX_DESCRIPTIONS = 512;

let installed = false;

/** The key of a description: what the parsers and the row's shape depend on. */
export function descriptionKey(fields: readonly FieldDescription[]): string {
  let key = '';
  for (const f of fields) key += `${f.name}\u0000${f.dataTypeID}${f.format === 'binary' ? 'b' : 't'}\u0001`;
  return key;
}

/** Installs the cache on pg's Result (once per process; pg's behaviour is otherwise unchanged). */
export function reuseRowDescriptions(): void {
  if (installed) return;
  installed = true;
  const Result = (createRequire(import.meta.url)('pg/lib/result.js') as { prototype: PgResult }).prototype;
  const make = Result.addFields;
  Result.addFields = function addFields(this: PgResult, fields: readonly FieldDescription[]): void {
    const types = this._types ?? GLOBAL_TYPES;
    let made = madeFor.get(types);
    if (!made) { made = new Map(); madeFor.set(types, made); }
    const key = descriptionKey(fields);
    const hit = made.get(key);
    if (hit) {
      this.fields = fields;
      if (fields.length) this._parsers = hit.parsers;
      this._prebuiltEmptyResultObject = hit.emptyRow;
      return;
    }
    make.call(this, fields);
    if (made.size >= MAX_DESCRIPTIONS) made.clear();
    made.set(key, { parsers: this._parsers, emptyRow: this._prebuiltEmptyResultObject });
  };
}
