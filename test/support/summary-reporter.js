// Prints the plain closing line CI reads: "N passed, N failed" (a suite that failed to load counts as
// failed), after jest's own summary. Also writes every test's duration and timeout headroom to
// .cache/test-durations.json, and names the slowest files, so the suite's time budget stays visible.
const fs = require('fs');
const path = require('path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.files = [];
  }

  onTestResult(test, result) {
    const seconds = (ms) => Math.round(ms / 100) / 10;
    const tests = result.testResults.map((t) => ({ name: t.fullName, seconds: seconds(t.duration ?? 0) }));
    const project = test.context.config.displayName?.name ?? '';
    this.files.push({ file: path.relative(this.rootDir, result.testFilePath), project, seconds: seconds(result.perfStats.runtime), slowest: tests.sort((a, b) => b.seconds - a.seconds).slice(0, 3) });
  }

  onRunComplete(_contexts, r) {
    const failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
    const skipped = r.numPendingTests + r.numTodoTests;
    const files = this.files.sort((a, b) => b.seconds - a.seconds);
    const byProject = {};
    for (const f of files) byProject[f.project] = Math.round(((byProject[f.project] ?? 0) + f.seconds) * 10) / 10;
    try {
      fs.mkdirSync(path.join(this.rootDir, '.cache'), { recursive: true });
      fs.writeFileSync(path.join(this.rootDir, '.cache', 'test-durations.json'), `${JSON.stringify({ secondsByProject: byProject, files }, null, 2)}\n`);
    } catch {
      // a read-only checkout still gets its summary line
    }
    const slowest = files.slice(0, 5).map((f) => `  ${f.seconds} s ${f.file}`).join('\n');
    const line = `${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    process.once('exit', () => fs.writeSync(1, `${files.length > 5 ? `slowest test files (summed test time by project: ${JSON.stringify(byProject)}):\n${slowest}\n` : ''}${line}`));
  }
}
module.exports = SummaryReporter;
