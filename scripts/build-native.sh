#!/usr/bin/env bash
# Builds the agent's native screen capture addon (agent/platform/linux-x11/native/, XDamage + MIT-SHM
# over XCB) from the source in this repository with node-gyp and the installed Node headers: nothing is
# downloaded. Needs g++, make, python3 and the XCB headers that install-system.sh installs.
# Without it the agent still works (it falls back to ffmpeg x11grab, then to the pure-JS capturer), so a
# failed build says why and does not stop `npm run build`; the capture tests need the addon and fail.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)" != "Linux" ]; then
  echo "native capture: not Linux, skipped (the agent uses its fallback capturers)"
  exit 0
fi
# npm puts its own node-gyp on PATH for `npm run`; called directly, use npm's bundled copy.
gyp=(node-gyp)
if ! command -v node-gyp >/dev/null; then
  gyp=(node "${npm_config_node_gyp:-$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js}")
fi
# The headers of the running Node (Debian/NodeSource install them beside it, under include/node): never download them.
nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")}"
if [ ! -f "$nodedir/include/node/node_api.h" ]; then
  echo "native capture: NOT built: no Node headers under $nodedir/include/node; the agent falls back to ffmpeg x11grab" >&2
  exit 0
fi
if ! out=$("${gyp[@]}" rebuild --nodedir="$nodedir" --directory agent/platform/linux-x11/native --loglevel=warn 2>&1); then
  printf '%s\n' "$out" | tail -n 15 >&2
  echo "native capture: NOT built (see above; bash scripts/install-system.sh installs the compiler and XCB headers); the agent falls back to ffmpeg x11grab" >&2
  exit 0
fi
echo "native capture: built agent/platform/linux-x11/native/build/Release/rr_x11_capture.node"
