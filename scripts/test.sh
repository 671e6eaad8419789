#!/usr/bin/env bash
# Run the tests by tier (docs/development.md, "Tests"):
#
#   scripts/test.sh [ARGS]        the whole suite on SQLite, then the `db` tests again on PostgreSQL (what CI runs)
#   scripts/test.sh fast [ARGS]   the `fast` tier on SQLite: pure and in-process tests, about 2 minutes (every change)
#   scripts/test.sh db [ARGS]     only the PostgreSQL pass: the `db` tests on PostgreSQL
#   scripts/test.sh all [ARGS]    the same as no tier
#
# ARGS go to pytest (files, -k, -x, --timeout 0 ...). Tests run in TEST_WORKERS pytest-xdist processes (default:
# one per core; 1 runs them in this process). PostgreSQL: AUTOML_CANVAS_TEST_PG_URL (default
# postgresql+psycopg://postgres@127.0.0.1:5432/postgres); outside CI the PostgreSQL pass is skipped with a notice
# when no server answers, in CI (CI=true) that fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# Python caches compiled modules (__pycache__) even where the machine sets PYTHONDONTWRITEBYTECODE (CI machines
# do): otherwise every process -- each job process, worker, app server and CLI call -- compiles pandas,
# scikit-learn and FLAML from source at start (18 s instead of 6 s to import the training stack on a busy
# 2-core machine). Only the modules a process imports are compiled, once.
unset PYTHONDONTWRITEBYTECODE
tier=all
case "${1:-}" in
  fast|db|all) tier=$1; shift ;;
esac
bash scripts/bootstrap.sh

workers=${TEST_WORKERS:-$(nproc 2>/dev/null || echo 1)}
parallel=()
if [ "$workers" -gt 1 ] && .venv/bin/python -c 'import xdist' 2>/dev/null; then
  # loadgroup: the tests of one trained world (and of one module) share a worker, so each world is built once
  parallel=(-n "$workers" --dist loadgroup)
fi
# the slowest tests of each pass are listed at its end: where the time goes, run after run
pytest() { .venv/bin/python -m pytest "${parallel[@]}" --durations=15 "$@"; }

if [ "$tier" = fast ]; then
  echo "== fast tier on SQLite" >&2
  exec .venv/bin/python -m pytest "${parallel[@]}" -m fast "$@"
fi
if [ "$tier" = all ]; then
  echo "== test suite on SQLite" >&2
  pytest "$@"
fi

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
  # Only the tests marked `db` (tests/conftest.py keeps them on --db postgresql): the data layer's PostgreSQL
  # paths. Everything else ran in the SQLite pass and gains nothing from a second database.
  echo "== the db tests on PostgreSQL (the rest ran in the SQLite pass)" >&2
  status=0
  # Given no arguments, only the files that hold db tests are collected (a marker on the test, its class or its
  # module; tests/conftest.py adds db to postgres): collecting all of them cost each worker half a minute.
  targets=()
  if [ "$#" -eq 0 ]; then
    mapfile -t targets < <(grep -rlE --include='test_*.py' 'mark\.(db|postgres)\b' tests | sort)
  fi
  pytest --db postgresql "${targets[@]}" "$@" || status=$?
  # 5: the selected files hold no db test (e.g. `scripts/test.sh tests/datasets`): nothing to run there.
  if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then
    exit "$status"
  fi
elif [ "${CI:-}" = "true" ]; then
  echo "CI needs PostgreSQL for the second pass and none answers at $pg_url" >&2
  exit 1
else
  echo "== skipped the PostgreSQL pass: no server at $pg_url" >&2
fi
