#!/usr/bin/env bash
# Installs the Debian packages the product's tests and agent need, if any is missing.
# chromium: browser end-to-end tests; xvfb, xdotool, x11-utils: agent capture and input tests;
# ffmpeg: the agent's fallback screen capture; xclip: the agent's clipboard sync; coturn: the TURN relay;
# binutils: strip, which takes Node's debug symbols out of the single-file applet (~12 MB);
# g++, make, python3 and the XCB headers: the agent's native capture addon (scripts/build-native.sh).
# iproute2: ip and tc, for the bandwidth-cap benchmark (a tbf qdisc in a network namespace).
# iputils-ping: ping, which checks the loss and delay of the fault suite's userspace netem (testkit/lossy-path.ts).
# wine, wine64, fonts-wine: the Windows applet's end-to-end test (test/windows/), without Recommends
# (they would pull in and upgrade mesa).
# redis-server, postgresql: the scale-out tests (test/scale/) start their own on free loopback ports
# (PostgreSQL's binaries are found in /usr/lib/postgresql/<version>/bin, not on PATH).
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
[ -x /usr/lib/wine/wine64 ] || need+=(wine wine64)
[ -d /usr/share/wine/fonts ] || need+=(fonts-wine)
command -v tc >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v python3 >/dev/null || need+=(python3)
for header in xcb/xcb.h:libxcb1-dev xcb/shm.h:libxcb-shm0-dev xcb/damage.h:libxcb-damage0-dev xcb/xfixes.h:libxcb-xfixes0-dev; do
  [ -f "/usr/include/${header%%:*}" ] || need+=("${header##*:}")
done
command -v redis-server >/dev/null || need+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages: installing ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
