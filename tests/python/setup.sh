#!/usr/bin/env bash
# The analysts' Python readers (DuckDB, pyarrow, polars, pandas) in a venv, for tests/it/readers.rs.
#
#   bash tests/python/setup.sh        # prints the venv's python path on stdout (and nothing else)
#
# Creates the venv the first time and (re)installs tests/python/requirements.txt only when that
# file changed since the last successful install (a sha256 stamp in the venv). Progress goes to
# stderr.
#
# Environment:
#   POKELAKE_PY_HOME   state dir; the venv is $POKELAKE_PY_HOME/venv
#                      (default $HOME/.cache/pokelake/py)
#   PYTHON             interpreter for the venv (default python3; needs 3.11+)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REQUIREMENTS="$HERE/requirements.txt"
STATE_DIR="${POKELAKE_PY_HOME:-${HOME:-/root}/.cache/pokelake/py}"
VENV="$STATE_DIR/venv"
STAMP="$VENV/.pokelake-requirements.sha256"
PYTHON="${PYTHON:-python3}"

say() { echo "setup.sh: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[[ -f "$REQUIREMENTS" ]] || die "$REQUIREMENTS is missing"
want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"

if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  say "requirements unchanged; reusing $VENV"
else
  t0=$SECONDS
  if [[ ! -x "$VENV/bin/python" ]]; then
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found (need Python 3.11+)"
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
      || die "$PYTHON is $("$PYTHON" --version 2>&1); the readers need Python >= 3.11"
    say "creating $VENV"
    mkdir -p "$STATE_DIR"
    "$PYTHON" -m venv "$VENV" || die "could not create the venv (is python3-venv installed?)"
  fi
  rm -f "$STAMP"
  say "installing $REQUIREMENTS into $VENV ..."
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2 \
    || die "pip install -r $REQUIREMENTS failed"
  "$VENV/bin/python" -c 'import duckdb, pyarrow, polars, pandas' >&2 \
    || die "installed, but the readers do not import"
  echo "$want" >"$STAMP"
  say "installed in $((SECONDS - t0)) s"
fi

echo "$VENV/bin/python"
