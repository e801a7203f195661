#!/usr/bin/env bash
# Starts coturn for Relay Rescue: renders turn/turnserver.conf with the environment below
# into a private file (mode 600, it holds the secret) and execs `turnserver -c` on it.
#
#   TURN_SECRET=$(openssl rand -hex 32) TURN_REALM=turn.example.com \
#   TURN_CERT=/etc/letsencrypt/live/turn.example.com/fullchain.pem \
#   TURN_KEY=/etc/letsencrypt/live/turn.example.com/privkey.pem  turn/start.sh
#
# Environment (only TURN_SECRET is required):
#   TURN_SECRET        shared secret, the same as the signaling server's TURN_SECRET (>= 16 chars;
#                      `openssl rand -hex 32`). Or TURN_SECRET_FILE: a file holding it, the same file
#                      as the signaling server's TURN_SECRET_FILE; one secret per line, all accepted
#                      (rotation: docs/turn.md). Restart coturn after changing the file.
#   TURN_REALM         realm, usually the relay's domain name (default: turn.example.com)
#   TURN_PORT          TURN/STUN port, UDP and TCP (default 3478)
#   TURN_TLS_PORT      TURN over TLS port (default 5349); used only with TURN_CERT and TURN_KEY
#   TURN_CERT, TURN_KEY  PEM certificate chain and key; both or neither. Enables TLS.
#   TURN_MIN_PORT, TURN_MAX_PORT  relay port range, UDP (default 49152-65535)
#   TURN_LISTEN_IP     listen on this address only (default: all)
#   TURN_RELAY_IP      relay from this local address (default: the listening address)
#   TURN_EXTERNAL_IP   public address when behind 1:1 NAT: "public" or "public/private"
#   TURN_USER_QUOTA    concurrent allocations per username (default 12)
#   TURN_TOTAL_QUOTA   concurrent allocations on the server (default 1200)
#   TURN_MAX_BPS       bytes/s per allocation, 0 = unlimited (default 2500000)
#   TURN_BPS_CAPACITY  bytes/s for the whole server, 0 = unlimited (default 0)
#   TURN_LOG_FILE      "stdout" (default), "syslog" or a path
#   TURN_CONFIG_OUT    where to write the rendered config (default: a new private temp dir)
#   TURNSERVER         the turnserver binary (default: turnserver on PATH)
#
# Options:
#   --dry-run   validate, print the rendered config with the secret masked, and exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
template="$here/turnserver.conf"
dry_run=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=1 ;;
    -h|--help) sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "start.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "start.sh: $*" >&2; exit 1; }

is_port() { [[ "$1" =~ ^[0-9]{1,5}$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }
is_uint() { [[ "$1" =~ ^[0-9]{1,12}$ ]]; }
is_ip() { [[ "$1" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || "$1" =~ ^[0-9a-fA-F:]+$ ]]; }

[ -f "$template" ] || fail "template not found: $template"

# One secret (TURN_SECRET), or one per line (TURN_SECRET_FILE): coturn accepts credentials minted with
# any of them, which is how a secret is rotated without refusing credentials already handed out.
secrets=()
if [ -n "${TURN_SECRET:-}" ]; then
  secrets=("$TURN_SECRET")
elif [ -n "${TURN_SECRET_FILE:-}" ]; then
  [ -r "$TURN_SECRET_FILE" ] || fail "TURN_SECRET_FILE is not readable: $TURN_SECRET_FILE"
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line//$'\r'/}"
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [ -z "$line" ] || secrets+=("$line")
  done < "$TURN_SECRET_FILE"
fi
[ "${#secrets[@]}" -gt 0 ] || fail "TURN_SECRET is required (the same value as the signaling server's TURN_SECRET; generate one with: openssl rand -hex 32)"
for secret in "${secrets[@]}"; do
  [ "${#secret}" -ge 16 ] || fail "TURN_SECRET is too short (${#secret} characters; use at least 16, e.g. openssl rand -hex 32)"
  [[ "$secret" =~ ^[[:graph:]]+$ ]] || fail "TURN_SECRET must not contain spaces or control characters"
  [[ "$secret" != CHANGE_ME* ]] || fail "TURN_SECRET is still the template placeholder"
done

realm="${TURN_REALM:-turn.example.com}"
[[ "$realm" =~ ^[A-Za-z0-9.-]{1,253}$ ]] || fail "TURN_REALM must be a domain-like name (letters, digits, dots, dashes): '$realm'"

port="${TURN_PORT:-3478}"
tls_port="${TURN_TLS_PORT:-5349}"
min_port="${TURN_MIN_PORT:-49152}"
max_port="${TURN_MAX_PORT:-65535}"
for v in TURN_PORT:"$port" TURN_TLS_PORT:"$tls_port" TURN_MIN_PORT:"$min_port" TURN_MAX_PORT:"$max_port"; do
  is_port "${v#*:}" || fail "${v%%:*} must be a port number 1-65535, got '${v#*:}'"
done
[ "$min_port" -le "$max_port" ] || fail "TURN_MIN_PORT ($min_port) must not be above TURN_MAX_PORT ($max_port)"
[ "$port" -ne "$tls_port" ] || fail "TURN_PORT and TURN_TLS_PORT must differ"
if [ "$port" -ge "$min_port" ] && [ "$port" -le "$max_port" ]; then
  fail "TURN_PORT ($port) lies inside the relay range $min_port-$max_port"
fi

cert="${TURN_CERT:-}"
key="${TURN_KEY:-}"
tls=0
if [ -n "$cert" ] || [ -n "$key" ]; then
  [ -n "$cert" ] && [ -n "$key" ] || fail "set both TURN_CERT and TURN_KEY to enable TLS, or neither"
  [ -r "$cert" ] || fail "TURN_CERT is not a readable file: $cert"
  [ -r "$key" ] || fail "TURN_KEY is not a readable file: $key"
  grep -q -- '-----BEGIN CERTIFICATE-----' "$cert" || fail "TURN_CERT does not look like a PEM certificate: $cert"
  grep -q -- '-----BEGIN .*PRIVATE KEY-----' "$key" || fail "TURN_KEY does not look like a PEM private key: $key"
  tls=1
fi

listen_ip="${TURN_LISTEN_IP:-}"
relay_ip="${TURN_RELAY_IP:-}"
external_ip="${TURN_EXTERNAL_IP:-}"
[ -z "$listen_ip" ] || is_ip "$listen_ip" || fail "TURN_LISTEN_IP is not an IP address: '$listen_ip'"
[ -z "$relay_ip" ] || is_ip "$relay_ip" || fail "TURN_RELAY_IP is not an IP address: '$relay_ip'"
if [ -n "$external_ip" ]; then
  pub="${external_ip%%/*}"
  priv="${external_ip#*/}"
  is_ip "$pub" || fail "TURN_EXTERNAL_IP must be 'public' or 'public/private' addresses, got '$external_ip'"
  [ "$priv" = "$external_ip" ] || is_ip "$priv" || fail "TURN_EXTERNAL_IP must be 'public' or 'public/private' addresses, got '$external_ip'"
fi

user_quota="${TURN_USER_QUOTA:-12}"
total_quota="${TURN_TOTAL_QUOTA:-1200}"
max_bps="${TURN_MAX_BPS:-2500000}"
bps_capacity="${TURN_BPS_CAPACITY:-0}"
for v in TURN_USER_QUOTA:"$user_quota" TURN_TOTAL_QUOTA:"$total_quota" TURN_MAX_BPS:"$max_bps" TURN_BPS_CAPACITY:"$bps_capacity"; do
  is_uint "${v#*:}" || fail "${v%%:*} must be a non-negative integer, got '${v#*:}'"
done
log_file="${TURN_LOG_FILE:-stdout}"

turnserver="${TURNSERVER:-turnserver}"
if [ "$dry_run" -eq 0 ]; then
  command -v "$turnserver" >/dev/null || fail "'$turnserver' not found: install coturn (sudo apt-get install coturn)"
fi

# The keys this script sets; the template's own lines for them are dropped.
managed='static-auth-secret|realm|listening-port|tls-listening-port|cert|pkey|min-port|max-port|listening-ip|relay-ip|external-ip|user-quota|total-quota|max-bps|bps-capacity|log-file|no-tls|no-dtls|pidfile'

render() {
  local mask="$1"
  grep -Ev "^[[:space:]]*($managed)([[:space:]]*=|[[:space:]]*$)" "$template"
  echo
  echo "# --- Rendered by turn/start.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) ---"
  for secret in "${secrets[@]}"; do
    if [ "$mask" -eq 1 ]; then echo "static-auth-secret=********"; else echo "static-auth-secret=$secret"; fi
  done
  echo "realm=$realm"
  echo "listening-port=$port"
  echo "min-port=$min_port"
  echo "max-port=$max_port"
  [ -z "$listen_ip" ] || echo "listening-ip=$listen_ip"
  [ -z "$relay_ip" ] || echo "relay-ip=$relay_ip"
  [ -z "$external_ip" ] || echo "external-ip=$external_ip"
  if [ "$tls" -eq 1 ]; then
    echo "tls-listening-port=$tls_port"
    echo "cert=$cert"
    echo "pkey=$key"
    echo "no-dtls"
  else
    echo "no-tls"
    echo "no-dtls"
  fi
  echo "user-quota=$user_quota"
  echo "total-quota=$total_quota"
  echo "max-bps=$max_bps"
  echo "bps-capacity=$bps_capacity"
  echo "log-file=$log_file"
  [ -z "${pidfile:-}" ] || echo "pidfile=$pidfile"
}

if [ "$dry_run" -eq 1 ]; then
  render 1
  exit 0
fi

if [ -n "${TURN_CONFIG_OUT:-}" ]; then
  out="$TURN_CONFIG_OUT"
  pidfile="$(dirname "$out")/turnserver.pid"
else
  dir="$(mktemp -d "${TMPDIR:-/tmp}/relay-rescue-turn.XXXXXX")"
  out="$dir/turnserver.conf"
  pidfile="$dir/turnserver.pid"
fi
(umask 077; render 0 > "$out")
chmod 600 "$out"

if [ "$tls" -eq 1 ]; then
  echo "start.sh: TURN on :$port (udp+tcp), TLS on :$tls_port, relay ports $min_port-$max_port, realm $realm" >&2
else
  echo "start.sh: TURN on :$port (udp+tcp), relay ports $min_port-$max_port, realm $realm; no TLS (set TURN_CERT and TURN_KEY for turns: on :$tls_port)" >&2
fi
exec "$turnserver" -c "$out"
