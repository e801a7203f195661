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
# A dependency whose install script is not reviewed fails the install here (and so CI), instead of a
# warning a self-hoster has to judge; npm ci never rewrites package-lock.json, and the check below says so.
npm_log="$(mktemp)"
trap 'rm -f "$npm_log"' EXIT
npm ci --no-audit --no-fund 2>&1 | tee "$npm_log"
if grep -q 'not yet covered by allowScripts' "$npm_log"; then
  echo "install: a dependency's install script is not in package.json's allowScripts (above); review it and list it" >&2
  exit 1
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && ! git diff --quiet -- package-lock.json; then
  echo "install: package-lock.json changed during the install; commit the lock a fresh install leaves unchanged" >&2
  exit 1
fi
npm run --silent build
