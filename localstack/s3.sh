#!/usr/bin/env bash
# Local S3 (LocalStack 4.13.1, S3 only) for pokelake, WITHOUT Docker.
#
#   bash localstack/s3.sh start    # install (first time, ~25 s) + start + create bucket
#   eval "$(bash localstack/s3.sh env)"
#   bash localstack/s3.sh status
#   bash localstack/s3.sh stop
#
# Environment:
#   POKELAKE_LOCALSTACK_HOME  state dir (venv, pid, log, data)
#                             default: $HOME/.cache/pokelake/localstack
#   PORT                      listen port on 127.0.0.1 (default 4566)
#   POKELAKE_BUCKET           bucket to create (default pokelake)
#   PYTHON                    interpreter for the venv (default python3; needs 3.11;
#                             LocalStack 4.14+ would need 3.12)
set -euo pipefail

LOCALSTACK_VERSION="4.13.1"
STATE_DIR="${POKELAKE_LOCALSTACK_HOME:-${HOME:-/root}/.cache/pokelake/localstack}"
VENV="$STATE_DIR/venv"
PID_FILE="$STATE_DIR/localstack.pid"
LOG_FILE="$STATE_DIR/localstack.log"
PORT="${PORT:-4566}"
BUCKET="${POKELAKE_BUCKET:-pokelake}"
PYTHON="${PYTHON:-python3}"
ENDPOINT="http://127.0.0.1:$PORT"
START_TIMEOUT="${POKELAKE_LOCALSTACK_TIMEOUT:-90}"

say() { echo "s3.sh: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# True when the health endpoint reports S3 as running/available.
healthy() {
  local body
  body="$(curl -s --max-time 2 "$ENDPOINT/_localstack/health" 2>/dev/null || true)"
  [[ "$body" =~ \"s3\":\ *\"(running|available)\" ]]
}

# Pid from our pid file if that process is alive, else nothing.
our_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must still be a LocalStack runtime.
  if [[ -r "/proc/$pid/cmdline" ]]; then
    local cmdline
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmdline" == *localstack.runtime.main* ]] || return 1
  fi
  echo "$pid"
}

installed() {
  [[ -x "$VENV/bin/python" ]] || return 1
  local v
  v="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("localstack-core"))' 2>/dev/null || true)"
  [[ "$v" == "$LOCALSTACK_VERSION" ]]
}

install() {
  if installed; then
    say "localstack-core $LOCALSTACK_VERSION already installed in $VENV"
    return 0
  fi
  command -v "$PYTHON" >/dev/null || die "$PYTHON not found (need Python 3.11+)"
  "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || die "$PYTHON is $("$PYTHON" --version 2>&1); LocalStack $LOCALSTACK_VERSION needs Python >= 3.11"
  say "installing localstack-core $LOCALSTACK_VERSION into $VENV ..."
  local t0=$SECONDS
  mkdir -p "$STATE_DIR"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || die "could not create venv (is python3-venv installed?)"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
  # Upper bounds: newer cbor2/pyopenssl/cryptography/service-identity break 4.13.1.
  "$VENV/bin/python" -m pip install --quiet \
    "localstack-core[base-runtime]==$LOCALSTACK_VERSION" \
    'cbor2<6' 'pyopenssl<26' 'cryptography<47' 'service-identity<26' \
    || { rm -rf "$VENV"; die "pip install failed"; }
  installed || die "install finished but localstack-core $LOCALSTACK_VERSION is not importable"
  say "installed in $((SECONDS - t0)) s"
}

ensure_bucket() {
  local out code
  out="$(mktemp)"
  code="$(curl -s -o "$out" -w '%{http_code}' -X PUT "$ENDPOINT/$BUCKET" || true)"
  if [[ "$code" == 200 ]]; then
    say "bucket '$BUCKET' ready"
  elif grep -q 'BucketAlreadyOwnedByYou' "$out"; then
    say "bucket '$BUCKET' already exists"
  else
    say "creating bucket '$BUCKET' failed (HTTP $code):"
    cat "$out" >&2 || true
    rm -f "$out"
    exit 1
  fi
  rm -f "$out"
}

cmd_start() {
  local pid
  if healthy; then
    say "LocalStack S3 already running on $ENDPOINT"
    ensure_bucket
    return 0
  fi
  if pid="$(our_pid)"; then
    # Ours, alive but not healthy (still starting, or wedged): wait a bit below.
    say "LocalStack (pid $pid) is running but not healthy yet; waiting"
  else
    if curl -s --max-time 2 -o /dev/null "$ENDPOINT/" 2>/dev/null; then
      die "port $PORT is in use by something that is not a healthy LocalStack S3 (set PORT=...)"
    fi
    install
    mkdir -p "$STATE_DIR/fs" "$STATE_DIR/cache"
    say "starting LocalStack $LOCALSTACK_VERSION (S3 only) on $ENDPOINT; log: $LOG_FILE"
    # Run from the state dir: a ./moto folder in the cwd would shadow the moto package.
    (
      cd "$STATE_DIR"
      OVERRIDE_IN_DOCKER=0 \
      SERVICES=s3 \
      EAGER_SERVICE_LOADING=1 \
      GATEWAY_LISTEN="127.0.0.1:$PORT" \
      FILESYSTEM_ROOT="$STATE_DIR/fs" \
      XDG_CACHE_HOME="$STATE_DIR/cache" \
      DISABLE_EVENTS=1 \
      SKIP_SSL_CERT_DOWNLOAD=1 \
      DNS_ADDRESS=0 \
        nohup "$VENV/bin/python" -m localstack.runtime.main \
          >"$LOG_FILE" 2>&1 </dev/null &
      echo $! >"$PID_FILE"
    )
    pid="$(cat "$PID_FILE")"
  fi

  local t0=$SECONDS
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "LocalStack exited during startup; last log lines:"
      tail -n 40 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      exit 1
    fi
    if (( SECONDS - t0 >= START_TIMEOUT )); then
      say "LocalStack not healthy after ${START_TIMEOUT} s; last log lines:"
      tail -n 40 "$LOG_FILE" >&2 || true
      cmd_stop || true
      exit 1
    fi
    sleep 1
  done
  say "LocalStack S3 healthy after $((SECONDS - t0)) s (pid $pid)"
  ensure_bucket
}

cmd_stop() {
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$PID_FILE"
    say "not running (no live pid in $PID_FILE)"
    return 0
  fi
  say "stopping LocalStack (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 150; i++)); do   # up to ~30 s
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid did not exit after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
  fi
  kill -0 "$pid" 2>/dev/null && die "pid $pid is still alive"
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  local pid=""
  pid="$(our_pid || true)"
  if healthy; then
    echo "running: $ENDPOINT${pid:+ (pid $pid)}"
  elif [[ -n "$pid" ]]; then
    echo "starting or unhealthy: pid $pid, $ENDPOINT not healthy (log: $LOG_FILE)"
    return 1
  else
    echo "stopped"
    return 3
  fi
}

cmd_env() {
  cat <<EOT
export AWS_ENDPOINT_URL=$ENDPOINT
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_ALLOW_HTTP=true
export POKELAKE_TEST_S3=s3://$BUCKET
EOT
}

case "${1:-}" in
  start)  cmd_start ;;
  stop)   cmd_stop ;;
  status) cmd_status ;;
  env)    cmd_env ;;
  *)
    echo "usage: bash localstack/s3.sh {start|stop|status|env}" >&2
    exit 2
    ;;
esac
