"""Shared helpers for the benchmark scripts: paths, machine description, versions.

Imported as a plain module (the scripts run as ``python benchmarks/<name>.py``,
so ``benchmarks/`` is on ``sys.path``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
#: Set CANVAS_BENCH_NOTE to say what else ran on the machine; the load average is recorded either way.
SHARED_NOTE = os.environ.get("CANVAS_BENCH_NOTE") or (
    "The 1-minute load average is recorded with each measurement: on this 2-core machine a load much "
    "above 2 means something else was running and wall times are worse than on an idle machine."
)


def datasets_dir() -> Path:
    """The real public datasets (never copied into the repo)."""
    env = os.environ.get("CANVAS_DATASETS")
    return Path(env) if env else REPO.parent / "shared" / "datasets"


def today() -> str:
    return _dt.date.today().isoformat()


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "nproc_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": ram_gb,
        "cpu_model": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("automl-canvas", "flaml", "scikit-learn", "lightgbm", "xgboost", "pandas", "numpy", "pyarrow", "sqlalchemy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def header_lines(title: str, extra: dict[str, Any] | None = None) -> list[str]:
    """Markdown header shared by every results file."""
    m = machine_info()
    v = library_versions()
    lines = [
        f"# {title}",
        "",
        f"- Date: {now_iso()}",
        f"- Machine: {m['nproc']} cores (`nproc`), {m['ram_gb']} GB RAM, CPU `{m['cpu_model']}`, {m['platform']}",
        "- Libraries: " + ", ".join(f"{k} {val}" for k, val in v.items()),
    ]
    for k, val in (extra or {}).items():
        lines.append(f"- {k}: {val}")
    lines += [f"- Note: {SHARED_NOTE}", ""]
    return lines


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, default=_json_default) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _json_default(o):
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(o, (_dt.datetime, _dt.date)):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    return str(o)


def dump_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, default=_json_default) + "\n", encoding="utf-8")


def python() -> str:
    return sys.executable


def write_report(out_dir: Path, name: str, data: Any, md_lines: list[str]) -> Path:
    """Write ``<name>-<date>.json`` and ``.md`` into ``out_dir``; returns the Markdown path."""
    stem = out_dir / f"{name}-{today()}"
    dump_json(stem.with_suffix(".json"), data)
    stem.with_suffix(".md").write_text("\n".join(md_lines), encoding="utf-8")
    print(f"wrote {stem.with_suffix('.md')}")
    return stem.with_suffix(".md")


def train_and_approve(settings, engine, analyst, scientist, dataset_id: int, request) -> dict:
    """Train ``request`` with a real worker in this process, then share, claim and approve the version
    (with an override: benchmark worlds have no evidence). Returns the training job's result."""
    from automl_canvas.db import session_scope
    from automl_canvas.jobs.queue import get_job
    from automl_canvas.review import approve, claim, share
    from automl_canvas.runner.worker import Worker
    from automl_canvas.services.training import submit_training

    job = submit_training(engine, settings, analyst, dataset_id, request)
    worker = Worker(settings, engine=engine)
    while worker.run(once=True):
        pass
    with session_scope(engine) as s:
        j = get_job(s, job.id)
    assert j.status == "succeeded", j.error
    vid = j.result["version_id"]
    with session_scope(engine) as s:
        share(s, settings, analyst, vid)
        claim(s, scientist, vid)
        approve(s, settings, scientist, vid, override_justification="benchmark world")
    return j.result


PG_ADMIN = os.environ.get("AUTOML_CANVAS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def pg_database():
    """A fresh, migrated PostgreSQL database on the local server (AUTOML_CANVAS_TEST_PG_URL); returns (url, drop)."""
    import sqlalchemy as sa

    from automl_canvas.config import Settings
    from automl_canvas.db import init_db, make_engine

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"canvas_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    eng = make_engine(Settings(home=Path("/tmp"), database_url_override=url))
    init_db(eng)
    eng.dispose()

    def drop():
        with admin.connect() as c:
            c.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url, drop
