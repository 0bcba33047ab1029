// npm run bench — every benchmark in turn, each printing its figures and its closing JSON line.
import { spawnSync } from 'node:child_process';

const benches = ['bench-registry.ts', 'bench-edxml.ts', 'bench-crypto.ts', 'bench-sql.ts', 'bench-exchange.ts', 'bench-send-memory.ts'];
let failed = 0;
for (const script of benches) {
  console.log(`\n=== ${script} ===`);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', `scripts/${script}`], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
