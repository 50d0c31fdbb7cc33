/**
 * Jest global teardown: stops this run's shared PostgreSQL server, if a suite started one
 * (test/support/postgres.ts, `sharedPostgres`), and deletes this run's shared directory (see
 * global-setup.js).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

module.exports = async () => {
  const dir = process.env.SHOP_TEST_SYNTH_DIR;
  if (!dir) return;
  const info = path.join(dir, 'postgres.json');
  if (fs.existsSync(info)) {
    const { stop, root } = JSON.parse(fs.readFileSync(info, 'utf8'));
    spawnSync(stop[0], stop.slice(1), { stdio: 'ignore' });
    fs.rmSync(root, { recursive: true, force: true });
  }
  fs.rmSync(dir, { recursive: true, force: true });
};
