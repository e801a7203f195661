/**
 * Builds the downloadable agent into dist/agent/ (or `--out DIR`):
 *   agent.tar.gz  relay-rescue-agent/{main.mjs, package.json}: one esbuild
 *                 bundle of agent/main.ts; the native or optional packages
 *                 (@roamhq/wrtc, x11, ws) stay npm dependencies. The
 *                 agent's own capture addon (rr_x11_capture.node, built by
 *                 `npm run build:native`) goes beside the bundle when built.
 *   agent.sh      downloads the tarball from the server given with --server,
 *                 npm-installs it into a temporary directory, runs it with the
 *                 same arguments and removes the directory when it exits.
 * The server serves both under /download/.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { NATIVE_CAPTURE_FILE } from '../agent/platform/linux-x11/native-capture.ts';
import { AGENT_SH_SERVER_PLACEHOLDER } from './agent-sh-placeholder.ts';

const root = resolve(import.meta.dirname, '..');
const EXTERNAL = ['@roamhq/wrtc', 'x11', 'ws'];

/**
 * The agent as it ships: `DIR/main.mjs` (one esbuild bundle of agent/main.ts, the npm packages in
 * EXTERNAL left to resolve from DIR's node_modules or a parent's) and the capture addon beside it
 * when built. The bench runs this, not agent/main.ts under tsx, so its CPU figures are the product's.
 */
export async function bundleAgent(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'main.mjs');
  await build({
    entryPoints: [join(root, 'agent', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
  const addon = join(root, 'agent', 'platform', 'linux-x11', 'native', 'build', 'Release', NATIVE_CAPTURE_FILE);
  if (existsSync(addon)) copyFileSync(addon, join(dir, NATIVE_CAPTURE_FILE));
  return outfile;
}

export async function buildAgent(outDir = join(root, 'dist', 'agent')): Promise<{ tarball: string; script: string }> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  const stage = mkdtempSync(join(tmpdir(), 'rr-agent-build-'));
  try {
    const dir = join(stage, 'relay-rescue-agent');
    await bundleAgent(dir);
    const dependencies = Object.fromEntries(EXTERNAL.map((name) => [name, pkg.dependencies[name] ?? '*']));
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify({ name: 'relay-rescue-agent', version: pkg.version, private: true, type: 'module', engines: { node: '>=20' }, dependencies }, null, 2)}\n`,
    );
    mkdirSync(outDir, { recursive: true });
    const tarball = join(outDir, 'agent.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', stage, 'relay-rescue-agent']);
    const script = join(outDir, 'agent.sh');
    writeFileSync(script, AGENT_SH);
    chmodSync(script, 0o755);
    return { tarball, script };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

const AGENT_SH = `#!/bin/sh
# Relay Rescue agent launcher:
#   curl -fsSL https://support.example.com/download/agent.sh | bash
# asks for the 6-digit code and runs the support app of the server it came from
# (or give --server URL and --code 123456 / --token T / --adhoc T yourself).
# Needs Node 20+ and npm; downloads the agent into a temporary directory and removes it at exit.
set -eu
# Everything is in main(), so a shell reading this from a pipe has all of it before anything runs.
main() {
server="${AGENT_SH_SERVER_PLACEHOLDER}"
case "$server" in @*) server="" ;; esac
given_server=""
has_session=""
prev=""
for arg in "$@"; do
  if [ "$prev" = "--server" ]; then given_server="$arg"; fi
  case "$arg" in
    --server=*) given_server="\${arg#--server=}" ;;
    --code|--code=*|--token|--token=*|--adhoc|--adhoc=*|--adhoc-resume|--help) has_session=yes ;;
  esac
  prev="$arg"
done
if [ -n "\${RELAY_RESCUE_TOKEN:-}" ] || [ -n "\${RELAY_RESCUE_ADHOC_TOKEN:-}" ]; then has_session=yes; fi
# A token given as an argument reaches the agent through its environment, out of its command line
# (/proc/PID/cmdline, which every local user can read; this shell's own stays: prefer RELAY_RESCUE_TOKEN=… bash).
take_token=""
for arg in "$@"; do
  shift
  if [ -n "$take_token" ]; then RELAY_RESCUE_TOKEN="$arg"; export RELAY_RESCUE_TOKEN; take_token=""; continue; fi
  case "$arg" in
    --token) take_token=yes; continue ;;
    --token=*) RELAY_RESCUE_TOKEN="\${arg#--token=}"; export RELAY_RESCUE_TOKEN; continue ;;
  esac
  set -- "$@" "$arg"
done
if [ -n "$given_server" ]; then server="$given_server"; elif [ -n "$server" ]; then set -- --server "$server" "$@"; fi
if [ -z "$has_session" ] && [ -n "$server" ]; then
  # Run with no arguments (curl … | bash): ask for the code on the terminal, not the pipe.
  if ! (exec </dev/tty) 2>/dev/null; then
    echo "agent.sh: run it in a terminal, or add your code: … | bash -s -- --code 123456" >&2
    exit 2
  fi
  printf 'Type the 6-digit code your technician gave you: ' >/dev/tty
  read -r code </dev/tty
  set -- "$@" --code "$code"
fi
if [ -z "$server" ]; then
  echo "agent.sh: --server is missing. Run it with the server and your code, for example:" >&2
  echo "  curl -fsSL https://support.example.com/download/agent.sh | bash -s -- --server https://support.example.com --code 123456" >&2
  echo "(--code 123456 | --token T | --adhoc T; the support page shows the whole command)" >&2
  exit 2
fi
command -v node >/dev/null 2>&1 || { echo "agent: Node.js 20 or newer is needed (https://nodejs.org)" >&2; exit 1; }
dir="$(mktemp -d "\${TMPDIR:-/tmp}/relay-rescue-agent.XXXXXX")"
trap 'rm -rf "$dir"' EXIT INT TERM HUP
url="\${server%/}/download/agent.tar.gz"
if command -v curl >/dev/null 2>&1; then curl -fsSL "$url" -o "$dir/agent.tar.gz"; else wget -q -O "$dir/agent.tar.gz" "$url"; fi
tar -xzf "$dir/agent.tar.gz" -C "$dir"
(cd "$dir/relay-rescue-agent" && npm install --omit=dev --no-audit --no-fund --loglevel=error </dev/null >/dev/null)
# Piped into a shell (curl … | bash -s -- …), stdin is this script, not the keyboard: the agent's
# questions (the security code, Allow? [y/N]) then read the terminal.
if [ ! -t 0 ] && (exec </dev/tty) 2>/dev/null; then
  node "$dir/relay-rescue-agent/main.mjs" "$@" </dev/tty
else
  node "$dir/relay-rescue-agent/main.mjs" "$@"
fi
}
main "$@"
`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
  const result = await buildAgent(out ? resolve(out) : undefined);
  console.log(`agent: ${result.tarball}\nagent: ${result.script}`);
}
