// Mocha's spec output, plus the counts written to EDOC_TEST_SUMMARY for scripts/test.js,
// which prints the plain closing line "N passed, N failed" that CI reads.
const Mocha = require('mocha');
const fs = require('node:fs');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    let passed = 0;
    let failed = 0;
    let pending = 0;
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, () => { passed += 1; });
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, () => { failed += 1; });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, () => { pending += 1; });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.EDOC_TEST_SUMMARY;
      if (file) fs.writeFileSync(file, JSON.stringify({ passed, failed, pending }));
    });
  }
}
module.exports = SummaryReporter;
