#!/usr/bin/env bash
# Run the whole test suite on SQLite, then again on PostgreSQL.
# PostgreSQL: AUTOML_CANVAS_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres);
# outside CI the PostgreSQL pass is skipped with a notice when no server answers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "== test suite on SQLite" >&2
.venv/bin/python -m pytest "$@"
pg_url=${AUTOML_CANVAS_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
if .venv/bin/python - "$pg_url" <<'PY'
import sys, sqlalchemy as sa
try:
    sa.create_engine(sys.argv[1]).connect().close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  # The browser tests exercise the UI, not the database, and tests that build no database gain nothing
  # from a second run (tests/conftest.py deselects them): both ran in the SQLite pass.
  echo "== test suite on PostgreSQL (the tests that reach a database; the rest ran in the SQLite pass)" >&2
  .venv/bin/python -m pytest --db postgresql -m "not e2e" "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "CI needs PostgreSQL for the second pass and none answers at $pg_url" >&2
  exit 1
else
  echo "== skipped the PostgreSQL pass: no server at $pg_url" >&2
fi
