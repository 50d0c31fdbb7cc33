/**
 * Jest's default order, longest suite first, uses the durations it cached from the last run. A fresh
 * clone has none, and Jest then orders by file size, which started the 25 s compliance suite (a short
 * file) last and left one worker idle at the end. These are approximate seconds of the slow suites
 * on the project's 2-core machine, used only when Jest has no duration of its own for a suite; the
 * rest count as 1 s. A wrong figure changes the order, never what runs.
 */
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

// Seconds per suite in a warm `npm test` (3 workers, static checks beside them), 2026-11-27.
const SECONDS = {
  'test/outage-page/browser.test.ts': 35,
  'test/cli/interrupt.test.ts': 24,
  'test/compliance.test.ts': 21,
  'test/drill-local/drill.test.ts': 19,
  'test/cli/deadlines.test.ts': 17,
  'test/cli/drill.test.ts': 7,
  'test/shop/faults.test.ts': 6,
  'test/canary/handler.test.ts': 6,
  'test/cli/capacity-deadlines.test.ts': 6,
  'test/edge-stack.test.ts': 5,
  'test/report.test.ts': 5,
  'test/shop/i18n.test.ts': 5,
  'test/config.test.ts': 5,
  'test/shop/promotion.test.ts': 5,
  'test/cli/process.test.ts': 4,
  'test/shop/outage.test.ts': 4,
  'test/regional-stack.test.ts': 4,
  'test/fis.test.ts': 4,
  'test/shop/overload.test.ts': 4,
  'test/app.test.ts': 4,
  'test/capacity/templates.test.ts': 3,
};
const ROOT = path.join(__dirname, '..', '..');

class KnownSlowFirst extends Sequencer {
  time(test) {
    const cached = super.time(test);
    if (cached != null) return cached;
    return (SECONDS[path.relative(ROOT, test.path).split(path.sep).join('/')] ?? 1) * 1000;
  }
}

module.exports = KnownSlowFirst;
