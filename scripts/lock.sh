#!/usr/bin/env bash
# Regenerate the pinned, hash-checked installs in requirements/ from pyproject.toml (docs/development.md,
# "Pinned installs"):
#
#   requirements/dev.txt      runtime + test tools: what CI and scripts/bootstrap.sh install
#   requirements/runtime.txt  what running the product needs (core, PostgreSQL driver, S3 client):
#                             scripts/up.sh and the Docker image
#   requirements/ray.txt      runtime + Ray, for the Docker image built with EXTRAS=...,ray
#
# Usage:
#   scripts/lock.sh                          re-lock after editing pyproject.toml (existing pins are kept
#                                            where the new ranges still allow them)
#   scripts/lock.sh --upgrade-package NAME   move one library (repeatable) to its newest allowed release
#   scripts/lock.sh --upgrade                move everything to the newest allowed releases
#   scripts/lock.sh --check                  exit 1 if the lock no longer matches pyproject.toml (CI runs it)
#
# dev.txt is resolved first; runtime.txt and ray.txt are resolved under its pins, so every lock holds the
# same version of every shared library and CI tests exactly what the product installs. The target is
# the product's platform: CPython 3.11 on Linux x86_64 with glibc 2.36 or newer (python:3.11-slim, CI).
# Needs the package index (uv resolves against it); uv itself is pinned in the dev lock.
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
upgrade=()
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=true ;;
    --upgrade|-U) upgrade+=(--upgrade) ;;
    --upgrade-package|-P)
      [ $# -ge 2 ] || { echo "lock.sh: --upgrade-package needs a package name" >&2; exit 2; }
      upgrade+=(--upgrade-package "$2"); shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "lock.sh: unknown option '$1' (see scripts/lock.sh --help)" >&2; exit 2 ;;
  esac
  shift
done
if $check && [ ${#upgrade[@]} -gt 0 ]; then
  echo "lock.sh: --check compares the lock as it is; it takes no --upgrade options" >&2
  exit 2
fi

# uv: the pinned copy from the dev lock (scripts/bootstrap.sh installs it), else whatever is on PATH.
UV=${UV:-}
if [ -z "$UV" ]; then
  if [ -x .venv/bin/uv ]; then UV=$PWD/.venv/bin/uv
  elif command -v uv >/dev/null 2>&1; then UV=uv
  else
    echo "lock.sh: uv is not installed: run scripts/bootstrap.sh (it installs uv from requirements/dev.txt)," >&2
    echo "or, before a first lock exists, '.venv/bin/python -m pip install uv'." >&2
    exit 1
  fi
fi

# Resolve in a scratch copy, so --check never touches the committed files and a failed resolution
# leaves them as they were. Existing pins are copied in: uv keeps them unless a range excludes them.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp pyproject.toml "$work/"
mkdir -p "$work/requirements"
for f in dev runtime ray; do
  [ -f "requirements/$f.txt" ] && cp "requirements/$f.txt" "$work/requirements/"
done

compile() {  # compile OUTPUT [uv options...]
  local out=$1; shift
  (cd "$work" && "$UV" pip compile pyproject.toml --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_36 \
      --generate-hashes --annotation-style line --custom-compile-command "scripts/lock.sh" --no-progress \
      -o "requirements/$out.txt" "$@")
}
compile dev --extra dev "${upgrade[@]}"
compile runtime --extra postgres --extra s3 -c requirements/dev.txt
compile ray --extra postgres --extra s3 --extra ray -c requirements/dev.txt

# PyTorch is never part of the product (a CPU wheel is capped on some machines and a CUDA one is several GB):
# a lock that pulls it in is refused, naming what asked for it.
if grep -HiE '^(torch|torchvision|torchaudio|triton)==' "$work"/requirements/*.txt; then
  echo "lock.sh: the lock above would install PyTorch; find the dependency that asks for it (its '# via' line)" >&2
  echo "and exclude or pin it in pyproject.toml." >&2
  exit 1
fi

if $check; then
  stale=0
  for f in dev runtime ray; do
    if [ ! -f "requirements/$f.txt" ]; then
      echo "lock.sh --check: requirements/$f.txt is missing" >&2; stale=1
    elif ! diff -u "requirements/$f.txt" "$work/requirements/$f.txt" >"$work/$f.diff"; then
      echo "lock.sh --check: requirements/$f.txt does not match pyproject.toml:" >&2
      head -40 "$work/$f.diff" >&2
      stale=1
    fi
  done
  if [ "$stale" -ne 0 ]; then
    echo "Run scripts/lock.sh and commit requirements/." >&2
    exit 1
  fi
  echo "lock.sh --check: requirements/{dev,runtime,ray}.txt match pyproject.toml" >&2
  exit 0
fi

mkdir -p requirements
for f in dev runtime ray; do
  cp "$work/requirements/$f.txt" "requirements/$f.txt"
done
for f in dev runtime ray; do
  printf '%-26s %4d packages\n' "requirements/$f.txt" "$(grep -cE '^[A-Za-z0-9]' "requirements/$f.txt")" >&2
done
