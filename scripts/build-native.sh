#!/usr/bin/env bash
# Builds the agent's native screen capture addon (agent/capture/native/, XDamage + MIT-SHM over XCB)
# from the source in this repository with node-gyp and the installed Node headers (npm's nodedir):
# nothing is downloaded. Needs g++, make, python3 and the XCB headers that install-system.sh installs.
# Without it the agent still works: it falls back to ffmpeg x11grab, then to the pure-JS capturer.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)" != "Linux" ]; then
  echo "native capture: not Linux, skipped (the agent uses its fallback capturers)"
  exit 0
fi
node-gyp rebuild --directory agent/capture/native --loglevel=warn >/dev/null
echo "native capture: built agent/capture/native/build/Release/rr_x11_capture.node"
