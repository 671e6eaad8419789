#!/usr/bin/env bash
# Set up (first run) and start AutoML Canvas on embedded defaults:
# SQLite + local artifact store in ./.canvas-home, and local worker(s).
# Installs only what running the product needs, pinned (requirements/runtime.txt); scripts/test.sh adds
# the test tools (requirements/dev.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh runtime
exec .venv/bin/automl-canvas up "$@"
