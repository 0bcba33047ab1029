// pg's row parsers made once per row description and connection (src/db/row-descriptions.ts): a row
// described again is parsed exactly as pg parses it, with the parsers of its own column types and its own
// connection's type overrides.
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { descriptionKey, reuseRowDescriptions } from '../../../src/db/row-descriptions.ts';

interface Field { name: string; dataTypeID: number; format: string; tableID: number }
interface PgResult { _parsers?: unknown[]; rows: unknown[]; parseRow(values: Array<string | null>): Record<string, unknown>; addFields(fields: Field[]): void }
const Result = createRequire(import.meta.url)('pg/lib/result.js') as new (rowMode: string | undefined, types: object) => PgResult;

const INT4 = 23;
const TEXT = 25;
const BOOL = 16;
const field = (name: string, dataTypeID: number): Field => ({ name, dataTypeID, format: 'text', tableID: 0 });

/** Type overrides as a pg connection has them: one object per connection. */
const typesWith = (int4: (v: string) => unknown) => ({
  getTypeParser: (oid: number) => (oid === INT4 ? int4 : oid === BOOL ? (v: string) => v === 't' : (v: string) => v),
});

describe('reuseRowDescriptions', () => {
  before(() => reuseRowDescriptions());

  it('parses a row described again as the first time, with the parsers made the first time', () => {
    const types = typesWith(Number);
    const first = new Result(undefined, types);
    first.addFields([field('so_den', INT4), field('trich_yeu', TEXT), field('khan', BOOL)]);
    const again = new Result(undefined, types);
    again.addFields([field('so_den', INT4), field('trich_yeu', TEXT), field('khan', BOOL)]); // a new array, as pg parses each message
    expect(again._parsers).to.equal(first._parsers);
    expect(again.parseRow(['12', 'V/v kết nối', 't'])).to.deep.equal({ so_den: 12, trich_yeu: 'V/v kết nối', khan: true });
    expect(again.parseRow(['13', null, 'f'])).to.deep.equal({ so_den: 13, trich_yeu: null, khan: false });
    expect(first.parseRow(['1', 'a', 'f'])).to.deep.equal({ so_den: 1, trich_yeu: 'a', khan: false }); // the shared empty row is copied, not filled
  });

  it('makes other parsers for another column type, another column name, another connection', () => {
    const types = typesWith(Number);
    const ints = new Result(undefined, types);
    ints.addFields([field('n', INT4)]);
    const texts = new Result(undefined, types);
    texts.addFields([field('n', TEXT)]);
    expect(texts.parseRow(['7'])).to.deep.equal({ n: '7' });
    const renamed = new Result(undefined, types);
    renamed.addFields([field('m', INT4)]);
    expect(renamed.parseRow(['7'])).to.deep.equal({ m: 7 });
    const otherConnection = new Result(undefined, typesWith((v) => `int:${v}`));
    otherConnection.addFields([field('n', INT4)]);
    expect(otherConnection.parseRow(['7'])).to.deep.equal({ n: 'int:7' });
    expect(ints.parseRow(['7'])).to.deep.equal({ n: 7 });
  });

  it('keys a description on every column name, type and format, in order', () => {
    const key = descriptionKey([field('a', INT4), field('b', TEXT)]);
    expect(descriptionKey([field('a', INT4), field('b', TEXT)])).to.equal(key);
    expect(descriptionKey([field('b', TEXT), field('a', INT4)])).to.not.equal(key);
    expect(descriptionKey([field('a', INT4), { ...field('b', TEXT), format: 'binary' }])).to.not.equal(key);
    expect(descriptionKey([field('a', INT4)])).to.not.equal(key);
    expect(descriptionKey([field('a\u0000', INT4)])).to.not.equal(descriptionKey([field('a', INT4)]));
  });
});
