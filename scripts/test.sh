#!/usr/bin/env bash
# The full test run: checks the system packages, typechecks, lints, builds the web UI, runs mocha
# (the tests, then the fault and load suite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent typecheck
npm run --silent lint
npm run --silent build
# With no arguments, every test and then the fault and load suite (docs/reliability.md);
# otherwise what is named (e.g. 'test/signaling/**/*.test.ts').
if [ $# -eq 0 ]; then
  npx mocha 'test/**/*.test.ts'
  npm run --silent test:faults
else
  npx mocha "$@"
fi
