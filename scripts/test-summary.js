// Prints jest's totals as one plain closing line ("jest: N passed, N failed, N skipped").
const fs = require('node:fs');
const file = process.argv[2] || '.jest-results.json';
if (!fs.existsSync(file)) {
  console.error(`no jest results at ${file}`);
  process.exit(1);
}
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
