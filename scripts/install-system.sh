#!/usr/bin/env bash
# Installs the Debian packages the product's tests and agent need, if any is missing.
# chromium: browser end-to-end tests; xvfb, xdotool, x11-utils: agent capture and input tests;
# ffmpeg: the agent's screen capture; xclip: the agent's clipboard sync; coturn: the TURN relay;
# binutils: strip, which takes Node's debug symbols out of the single-file applet (~12 MB).
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v Xvfb >/dev/null || need+=(xvfb)
command -v xdotool >/dev/null || need+=(xdotool)
command -v xwininfo >/dev/null || need+=(x11-utils)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v xclip >/dev/null || need+=(xclip)
command -v turnserver >/dev/null || need+=(coturn)
command -v strip >/dev/null || need+=(binutils)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages: installing ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
