/** Jest global teardown: deletes this run's shared synth directory (see global-setup.js). */
const fs = require('node:fs');

module.exports = async () => {
  const dir = process.env.SHOP_TEST_SYNTH_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
