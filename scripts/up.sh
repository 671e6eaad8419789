#!/usr/bin/env bash
# Set up (first run) and start AutoML Canvas on embedded defaults:
# SQLite + local artifact store in ./.canvas-home, and local worker(s).
# Installs only what running the product needs, pinned (requirements/runtime.txt); scripts/test.sh adds
# the test tools (requirements/dev.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
# Python caches compiled modules (__pycache__) even where the machine sets PYTHONDONTWRITEBYTECODE (CI machines
# do): otherwise every process -- each job process, worker, app server and CLI call -- compiles pandas,
# scikit-learn and FLAML from source at start (18 s instead of 6 s to import the training stack on a busy
# 2-core machine). Only the modules a process imports are compiled, once.
unset PYTHONDONTWRITEBYTECODE
bash scripts/bootstrap.sh runtime
exec .venv/bin/automl-canvas up "$@"
