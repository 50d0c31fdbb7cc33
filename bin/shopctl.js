#!/usr/bin/env node
/* global require, process, console */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
// Launcher: runs the TypeScript CLI through tsx, so there is no build step.
// The SDK's advance notice about future Node.js versions is noise on an incident terminal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
const { main } = require('../cli/main.ts');

// Exit as soon as the run is over, once stdout and stderr are flushed: a socket or timer a library left
// behind (a stalled region's request) must never keep an incident terminal waiting.
const exit = (code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
main(process.argv.slice(2)).then(exit, (e) => {
  console.error(e && e.message ? e.message : String(e));
  exit(5);
});
