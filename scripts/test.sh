#!/usr/bin/env bash
# `npm test`: the static checks (ESLint + Prettier, then tsc) run beside Jest instead of before it.
# They are single-threaded and Jest's workers spend part of their time waiting (Chromium, PostgreSQL,
# child processes, deadlines), so together they finish about as soon as Jest alone (README
# "Performance"). Their output is printed after Jest's; `npm test` fails if either part fails.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(npm run -s lint && npm run -s typecheck) >"$log" 2>&1 &
static=$!
npx jest --json --outputFile=.jest-results.json
jest_rc=$?
wait "$static"
static_rc=$?
echo '--- static checks (npm run lint, npm run typecheck) ---'
cat "$log"
if [ "$static_rc" -ne 0 ]; then
  echo "static checks failed (exit $static_rc): run \`npm run lint\` and \`npm run typecheck\`" >&2
fi
[ "$jest_rc" -eq 0 ] && [ "$static_rc" -eq 0 ]
