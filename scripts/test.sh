#!/usr/bin/env bash
# `npm test`: the static checks (oxlint + oxfmt, and tsc) run beside Jest instead of before it,
# each on its own and at a low CPU priority (nice 15): Jest's workers spend part of their time
# waiting (Chromium, PostgreSQL, child processes, deadlines), and the checks take those idle cycles
# instead of slowing the suites that run on real time (docs/testing.md, "How long `npm test` takes"). Their output is
# printed after Jest's; `npm test` fails if Jest or either check fails. tsc runs single-threaded here:
# its parallel checkers finish sooner on an idle machine but spend more CPU in all, and beside Jest
# the CPU is what is short (docs/testing.md, "Static checks").
set -uo pipefail
cd "$(dirname "$0")/.."
lint_log=$(mktemp)
tsc_log=$(mktemp)
trap 'rm -f "$lint_log" "$tsc_log"' EXIT
nice -n 15 npm run -s lint >"$lint_log" 2>&1 &
lint=$!
nice -n 15 npm run -s typecheck -- --singleThreaded >"$tsc_log" 2>&1 &
tsc=$!
npx jest --json --outputFile=.jest-results.json
jest_rc=$?
wait "$lint"
lint_rc=$?
wait "$tsc"
tsc_rc=$?
echo '--- static checks (npm run lint, npm run typecheck) ---'
cat "$lint_log" "$tsc_log"
[ "$lint_rc" -eq 0 ] || echo "npm run lint failed (exit $lint_rc)" >&2
[ "$tsc_rc" -eq 0 ] || echo "npm run typecheck failed (exit $tsc_rc)" >&2
[ "$jest_rc" -eq 0 ] && [ "$lint_rc" -eq 0 ] && [ "$tsc_rc" -eq 0 ]
