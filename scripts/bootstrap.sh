#!/usr/bin/env bash
# Create .venv and install AutoML Canvas from the pinned, hash-checked lock (requirements/*.txt, made by
# scripts/lock.sh from pyproject.toml; docs/development.md, "Pinned installs").
#
#   scripts/bootstrap.sh           the product and its test tools (requirements/dev.txt): scripts/test.sh, CI
#   scripts/bootstrap.sh runtime   only what running the product needs (requirements/runtime.txt): scripts/up.sh
#
# Re-installs only when the lock or pyproject.toml changed since the last install (an installed dev lock
# also covers runtime: it holds the same versions and more). From the package index only: pip installs uv, pinned
# and hash-checked by the dev lock, and uv installs the lock (the same pins and hashes, several times faster than
# pip: a fresh CI machine spends about 30 s here instead of 3 minutes); PIP_ONLY=1 installs with pip alone.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-dev}
case "$profile" in
  dev|runtime) ;;
  *) echo "bootstrap.sh: unknown profile '$profile': use 'dev' (default) or 'runtime'." >&2; exit 2 ;;
esac
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "AutoML Canvas needs Python 3.11 or newer as '$PY' (set PYTHON=... to choose another)." >&2
  exit 1
fi
for f in pyproject.toml "requirements/$profile.txt"; do
  [ -f "$f" ] || { echo "bootstrap.sh: $f is missing (scripts/lock.sh writes the lock files)." >&2; exit 1; }
done
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi

# What an install of PROFILE from the current files would be: the digests of its lock and of pyproject.toml.
want() { cat "requirements/$1.txt" pyproject.toml | sha256sum | cut -d' ' -f1; }
stamp() { echo ".venv/.canvas-installed-$1"; }
current() { [ -f "$(stamp "$1")" ] && [ "$(cat "$(stamp "$1")")" = "$(want "$1")" ]; }

if current "$profile" || { [ "$profile" = runtime ] && [ -f requirements/dev.txt ] && current dev; }; then
  exit 0
fi
echo "installing AutoML Canvas ($profile, pinned in requirements/$profile.txt) into .venv (first run: under a minute with uv, a few with pip)..." >&2
# uv's own pin and hashes, cut out of the dev lock (the requirement line and its "\"-continued hash lines).
uv_pin() { awk '/^uv==/{on=1} on{print; if ($0 !~ /\\$/) exit}' requirements/dev.txt; }
# uv in .venv, installed by pip from that pin if missing; false (use pip) with PIP_ONLY=1 or no pin in the lock.
have_uv() {
  [ "${PIP_ONLY:-}" != 1 ] && [ -n "$(uv_pin)" ] || return 1
  [ -x .venv/bin/uv ] && return 0
  uv_pin > .venv/.uv-pin.txt && .venv/bin/python -m pip install -q --require-hashes -r .venv/.uv-pin.txt
}
if have_uv; then
  .venv/bin/uv pip install -q --python .venv/bin/python --require-hashes -r "requirements/$profile.txt"
else
  .venv/bin/python -m pip install -q --require-hashes -r "requirements/$profile.txt"
fi
# The project itself, editable, with nothing more: every dependency came from the lock above.
.venv/bin/python -m pip install -q --no-deps -e .
want "$profile" > "$(stamp "$profile")"
rm -f .venv/.canvas-installed  # the stamp of earlier releases (one hash of pyproject.toml)
