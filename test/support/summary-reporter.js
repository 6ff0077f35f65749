// Prints the plain closing line CI reads: "N passed, N failed" (a suite that failed to load counts as
// failed). Written at process exit so it comes after jest's own summary.
const fs = require('fs');

class SummaryReporter {
  onRunComplete(_contexts, r) {
    const failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
    const skipped = r.numPendingTests + r.numTodoTests;
    const line = `${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    process.once('exit', () => fs.writeSync(1, line));
  }
}
module.exports = SummaryReporter;
