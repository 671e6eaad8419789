#!/usr/bin/env bash
# Create .venv and install AutoML Canvas with its test tools; re-installs only
# when pyproject.toml changed. Used by scripts/up.sh, scripts/test.sh and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "AutoML Canvas needs Python 3.11 or newer as '$PY' (set PYTHON=... to choose another)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
stamp=.venv/.canvas-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing AutoML Canvas and its dependencies into .venv (first run takes a few minutes)..." >&2
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi
