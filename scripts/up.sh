#!/usr/bin/env bash
# Set up (first run) and start AutoML Canvas on embedded defaults:
# SQLite + local artifact store in ./.canvas-home, and local worker(s).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/automl-canvas up "$@"
