/**
 * Jest's default order, longest suite first, uses the durations it cached from the last run. A fresh
 * clone has none, and Jest then orders by file size, which started the 25 s compliance suite (a short
 * file) last and left one worker idle at the end. These are approximate seconds of the slow suites
 * on the project's 2-core machine, used only when Jest has no duration of its own for a suite; the
 * rest count as 1 s. A wrong figure changes the order, never what runs.
 */
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const SECONDS = {
  'test/compliance.test.ts': 25,
  'test/outage-page/browser.test.ts': 30,
  'test/cli/interrupt.test.ts': 12,
  'test/cli/deadlines.test.ts': 11,
  'test/drill-local/drill.test.ts': 11,
  'test/shop/i18n.test.ts': 10,
  'test/canary/handler.test.ts': 8,
  'test/app.test.ts': 8,
  'test/config.test.ts': 7,
  'test/regional-stack.test.ts': 7,
  'test/edge-stack.test.ts': 7,
  'test/fis.test.ts': 7,
  'test/shop/faults.test.ts': 6,
  'test/cli/process.test.ts': 6,
  'test/report.test.ts': 5,
  'test/cli/capacity-deadlines.test.ts': 5,
  'test/shop/overload.test.ts': 5,
  'test/drill-local/route53.test.ts': 4,
  'test/shop/promotion.test.ts': 4,
  'test/shop/outage.test.ts': 4,
  'test/capacity/templates.test.ts': 4,
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
