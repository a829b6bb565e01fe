/**
 * Prints one plain closing line, `N passed, N failed` (and skipped), after jest's own summary,
 * so that any tool reading the end of the log gets the counts without parsing jest's format.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests} skipped`;
    process.stdout.write(`\n${line}\n`);
  }
}
module.exports = SummaryReporter;
