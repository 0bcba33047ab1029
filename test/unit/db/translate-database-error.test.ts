// Database errors become catalogue errors (src/db/knex-unit-of-work.ts): an outage is `db.unavailable`
// (kind unavailable: the inbox holds its delivery and retries) whichever way pg or knex reports it.
import { expect } from 'chai';
import { DomainError, isDomainError } from '../../../src/domain/errors.ts';
import { translateDatabaseError } from '../../../src/db/knex-unit-of-work.ts';

describe('translateDatabaseError', () => {
  const outages: [string, unknown][] = [
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['an administrator shutdown', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['the pool unable to connect', new Error('Knex: Timeout acquiring a connection. The pool is probably full.')],
    ['a connection cut mid-statement', new Error('Connection terminated unexpectedly')],
    ['knex\'s ROLLBACK on a client whose connection failed', new Error('ROLLBACK - Client has encountered a connection error and is not queryable')],
    ['a statement on a closed client', new Error('Client was closed and is not queryable')],
  ];
  for (const [what, error] of outages) {
    it(`${what} → db.unavailable (kind unavailable)`, () => {
      const translated = translateDatabaseError(error);
      expect(isDomainError(translated, 'db.unavailable'), String(error)).to.equal(true);
      expect((translated as DomainError).kind).to.equal('unavailable');
    });
  }

  it('a unique violation of a known constraint → its catalogue error; anything else unchanged', () => {
    const duplicate = Object.assign(new Error('duplicate key value violates unique constraint "users_username_unique"'), { code: '23505', constraint: 'users_username_unique' });
    expect(isDomainError(translateDatabaseError(duplicate), 'user.duplicate')).to.equal(true);
    const other = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    expect(translateDatabaseError(other)).to.equal(other);
  });
});
