#!/usr/bin/env bash
# One-command set-up on a fresh Debian machine: system packages, then npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
# `npm ci` refuses the lock file here: the registry does not serve rollup's optional packages for
# other platforms, so the lock cannot list them. `npm install` honours the lock and installs the same tree.
npm install --no-audit --no-fund
# The agent's native capture addon, from source (no download); the agent falls back without it.
npm run --silent build:native
