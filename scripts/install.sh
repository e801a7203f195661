#!/usr/bin/env bash
# One-command set-up on a fresh Debian machine: system packages, then npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
npm ci --no-audit --no-fund
