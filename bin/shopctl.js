#!/usr/bin/env node
/* global require, process, console */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
// Launcher: runs the TypeScript CLI through tsx, so there is no build step.
// The SDK's advance notice about future Node.js versions is noise on an incident terminal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
const { main } = require('../cli/main.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e && e.message ? e.message : String(e));
    process.exitCode = 5;
  },
);
