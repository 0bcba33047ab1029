// The import boundaries of STYLE.md are a lint rule: a forbidden import fails `npm test`.
import { expect } from 'chai';
import { ESLint } from 'eslint';

const lint = async (filePath: string, code: string): Promise<string[]> => {
  const [result] = await new ESLint().lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
};

describe('import boundaries (eslint no-restricted-imports)', function () {
  this.timeout(60000);
  const cases: [file: string, code: string, forbidden: boolean][] = [
    ['src/domain/example.ts', "import knex from 'knex';\nexport const k = knex;\n", true],
    ['src/domain/example.ts', "import { openDatabase } from '../db/connection.ts';\nexport const o = openDatabase;\n", true],
    ['src/services/example.ts', "import express from 'express';\nexport const e = express;\n", true],
    ['src/services/example.ts', "import { KnexUnitOfWork } from '../db/knex-unit-of-work.ts';\nexport const u = KnexUnitOfWork;\n", true],
    ['src/http/example.ts', "import amqp from 'amqplib';\nexport const a = amqp;\n", true],
    ['src/edxml/example.ts', "import * as pkijs from 'pkijs';\nexport const p = pkijs;\n", true],
    ['migrations/20990101000000_example.ts', "import { DomainError } from '../src/domain/errors.ts';\nexport const d = DomainError;\n", true],
    ['src/services/example.ts', "import { DomainError } from '../domain/errors.ts';\nexport const d = DomainError;\n", false],
    ['src/db/example.ts', "import knex from 'knex';\nexport const k = knex;\n", false],
    ['src/app.ts', "import { KnexUnitOfWork } from './db/knex-unit-of-work.ts';\nexport const u = KnexUnitOfWork;\n", false],
  ];
  for (const [file, code, forbidden] of cases) {
    it(`${file}: ${code.split('\n')[0]} → ${forbidden ? 'refused' : 'allowed'}`, async () => {
      const rules = await lint(file, code);
      expect(rules.includes('no-restricted-imports')).to.equal(forbidden);
    });
  }
});
