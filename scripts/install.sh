#!/usr/bin/env bash
# One-command set-up on a fresh Debian machine: system packages, the npm dependencies exactly as
# package-lock.json lists them (`npm ci`), then the build `npm start` serves (the web UI into
# dist/web, the support app download into dist/agent).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
# package.json's "allowScripts" lists the dependencies whose install scripts are reviewed and allowed
# (better-sqlite3 fetches or compiles its binary; esbuild checks its platform binary). npm 11 warns
# about any other install script; npm 12 will skip them.
npm ci --no-audit --no-fund
npm run --silent build
