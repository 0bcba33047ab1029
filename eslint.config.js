// Import boundaries of STYLE.md, enforced: a forbidden import fails `npm test`.
// domain imports nothing of ours; services import domain (and pure edxml); adapters implement ports;
// only the composition root (src/app.ts, src/composition/) sees everything. Each third-party library is imported from its own folder only.
import tseslint from 'typescript-eslint';

const ours = (...folders) => folders.map((f) => ({ group: [`**/${f}/*`, `**/${f}`, `../${f}/*`, `./${f}/*`], message: `this folder may not import from src/${f}/ (STYLE.md import boundaries)` }));
const libs = {
  knex: ['knex', 'knex-pglite', 'pg', '@electric-sql/pglite', '@electric-sql/pglite/*'],
  amqp: ['amqplib'],
  pki: ['xml-crypto', 'pkijs', 'asn1js', 'node-forge'],
  http: ['express'],
  xml: ['xmlbuilder2', '@xmldom/xmldom', 'fflate'],
};
const libPatterns = (...keys) => keys.flatMap((k) => libs[k]).map((name) => ({ group: [name], message: `${name} belongs to its own adapter folder (STYLE.md)` }));
const rule = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/**', 'tmp/**', 'data/**', 'certs-dev/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  { files: ['src/domain/**'], rules: rule([...ours('services', 'edxml', 'pki', 'db', 'axis', 'http', 'cli', 'config'), { group: ['../app*', '../main*'], message: 'domain imports nothing of ours' }, ...libPatterns('knex', 'amqp', 'pki', 'http', 'xml')]) },
  { files: ['src/services/**'], rules: rule([...ours('pki', 'db', 'axis', 'http', 'cli'), ...libPatterns('knex', 'amqp', 'pki', 'http', 'xml')]) },
  { files: ['src/edxml/**'], rules: rule([...ours('services', 'pki', 'db', 'axis', 'http', 'cli'), ...libPatterns('knex', 'amqp', 'pki', 'http')]) },
  { files: ['src/pki/**'], rules: rule([...ours('services', 'db', 'axis', 'http', 'cli'), ...libPatterns('knex', 'amqp', 'http')]) },
  { files: ['src/db/**'], rules: rule([...ours('services', 'edxml', 'pki', 'axis', 'http', 'cli'), ...libPatterns('amqp', 'pki', 'http', 'xml')]) },
  { files: ['src/axis/**'], rules: rule([...ours('http', 'cli', 'db'), ...libPatterns('knex', 'pki', 'http')]) },
  { files: ['src/http/**'], rules: rule([...ours('db', 'axis', 'pki', 'cli'), ...libPatterns('knex', 'amqp', 'pki', 'xml')]) },
  { files: ['src/cli/**'], rules: rule([...ours('db', 'axis', 'http'), ...libPatterns('knex', 'amqp', 'http')]) },
  { files: ['src/config/**'], rules: rule([...ours('services', 'edxml', 'pki', 'db', 'axis', 'http', 'cli'), ...libPatterns('knex', 'amqp', 'pki', 'http', 'xml')]) },
  { files: ['migrations/**'], rules: rule([{ group: ['**/src/**', '../src/*'], message: 'migrations never import from src/ (STYLE.md habit 8)' }]) },
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
