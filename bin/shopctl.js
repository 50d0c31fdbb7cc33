#!/usr/bin/env node
/* global require, process, console */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict';
// Launcher: runs the TypeScript CLI through tsx, so there is no build step.
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
