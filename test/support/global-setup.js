/**
 * Jest global setup: a directory for this run's shared synthesized templates (test/support/synth.ts,
 * `sharedTemplates`), passed to the workers through the environment and deleted by global-teardown.js.
 * A new directory per run: nothing synthesized in one run is ever read by another.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = async () => {
  process.env.SHOP_TEST_SYNTH_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-shared-synth-'));
};
