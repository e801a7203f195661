#!/usr/bin/env bash
# The full test run: checks the system packages, typechecks, lints, builds the web UI, runs mocha.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent typecheck
npm run --silent lint
npm run --silent build
# With no arguments, every test; otherwise what is named (e.g. 'test/signaling/**/*.test.ts').
if [ $# -eq 0 ]; then set -- 'test/**/*.test.ts'; fi
npx mocha "$@"
