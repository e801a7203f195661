#!/usr/bin/env bash
# The full test run: checks the system packages, typechecks, lints, builds the web UI, runs mocha.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent typecheck
npm run --silent lint
npm run --silent build
npx mocha "$@"
