/**
 * Jest's default order, longest suite first, uses the durations it cached from the last run. A fresh
 * clone has none, and Jest then orders by file size, which started the 25 s compliance suite (a short
 * file) last and left one worker idle at the end. These are approximate seconds of the slow suites
 * on the project's 2-core machine, used only when Jest has no duration of its own for a suite; the
 * rest count as 1 s. A wrong figure changes the order, never what runs.
 */
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

// Approximate seconds per suite: `.jest-results.json` of a fresh-clone `npm test` (3 workers, static
// checks beside them, load average ~10 from other work), 2026-12-08, times 0.55 to bring the
// slowest near its idle figure; the short drill from its own run on tmpfs. Only the order matters.
const SECONDS = {
  'test/outage-page/browser.test.ts': 35,
  'test/compliance.test.ts': 28,
  'test/drill-local/drill.test.ts': 20,
  'test/shop/pages-browser.test.ts': 14,
  'test/cli/interrupt.test.ts': 14,
  'test/report.test.ts': 12,
  'test/cli/deadlines.test.ts': 12,
  'test/notify/faults.test.ts': 10,
  'test/edge-stack.test.ts': 9,
  'test/config.test.ts': 9,
  'test/shop/payments-faults.test.ts': 9,
  'test/shop/overload.test.ts': 8,
  'test/app.test.ts': 8,
  'test/shop/abuse.test.ts': 8,
  'test/cli/process.test.ts': 7,
  'test/notify/service.test.ts': 7,
  'test/canary/handler.test.ts': 7,
  'test/shop/api.test.ts': 6,
  'test/shop/faults.test.ts': 6,
  'test/shop/outage.test.ts': 6,
  'test/cli/outcomes.test.ts': 6,
  'test/shop/cleanup.test.ts': 5,
  'test/capacity/templates.test.ts': 5,
  'test/drill-local/route53.test.ts': 5,
  'test/regional-stack.test.ts': 5,
  'test/shop/i18n.test.ts': 4,
  'test/cli/drill.test.ts': 4,
  'test/shop/promotion.test.ts': 4,
  'test/cli/capacity-deadlines.test.ts': 4,
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
