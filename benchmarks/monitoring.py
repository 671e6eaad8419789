"""Monitoring benchmark: what the prediction log costs a predict call, and how long a drift check takes.

Measures (targets from issue 10)
1. ``predict_records`` for one record on a deployed LightGBM version, with and without the prediction
   log (the API's batched writer, its flush thread running): p50/p90 of each and the difference
   (target: logging adds <= 1 ms at p50); and the cost of queueing one record's log row alone;
2. a monitoring check over 100,000 logged rows x 20 features (one feature shifted, 20,000 labelled):
   the core ``run_check`` wall time (target <= 10 s) and the whole job as a worker runs it (child
   process start and imports included); which features it flagged.

A generated table (15 numeric, 5 categorical features, binary target) keeps the shape exact.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/monitoring.py [--rows 100000] [--calls 600] [--pg]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, dump_json, header_lines, loadavg, machine_info, now_iso, today, train_and_approve

TARGETS = {"log_overhead_p50_ms": 1.0, "check_100k_s": 10.0}
NUMERIC = [f"x{i}" for i in range(15)]
CATEGORICAL = [f"c{i}" for i in range(5)]
SHIFTED = "x3"


def make_table(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({c: rng.normal(i % 5, 1 + i % 3, size=n) for i, c in enumerate(NUMERIC)})
    for c in CATEGORICAL:
        df[c] = rng.choice(list("abcde"), size=n, p=[0.4, 0.25, 0.15, 0.1, 0.1])
    logit = 0.8 * df["x0"] - 0.5 * df["x3"] + (df["c0"] == "a") * 0.7 + rng.normal(0, 1, n)
    df["target"] = np.where(logit > np.median(logit), "yes", "no")
    df[SHIFTED] = df[SHIFTED] + shift * df[SHIFTED].std()
    return df


def build_world(home: Path, url: str | None) -> dict:
    from automl_canvas.auth.users import ensure_user
    from automl_canvas.config import Settings
    from automl_canvas.datasets.service import ingest_file
    from automl_canvas.db import init_db, make_engine, session_scope
    from automl_canvas.models import ProjectCreate
    from automl_canvas.projects import create_project
    from automl_canvas.review import record_deployment
    from automl_canvas.training.spec import TrainingRequest

    settings = Settings(home=home, database_url_override=url, evidence_after_training=False, n_jobs=1,
                        job_poll_seconds=0.1, monitoring_window_days=30)
    settings.ensure_dirs()
    engine = make_engine(settings)
    init_db(engine)
    with session_scope(engine) as s:
        ana = ensure_user(s, "ana", ("analyst",), "Ana")
        sam = ensure_user(s, "sam", ("scientist",), "Sam")
        dee = ensure_user(s, "dee", ("deployer",), "Dee")
        project = create_project(s, ana, ProjectCreate(name="Monitoring benchmark"))
    csv = home / "training.csv"
    make_table(5000, seed=0).to_csv(csv, index=False)
    ds = ingest_file(engine, settings, ana, project.id, csv)
    vid = train_and_approve(settings, engine, ana, sam, ds.id,
                            TrainingRequest(target="target", budget=5, learners=["lgbm"]))["version_id"]
    with session_scope(engine) as s:
        record_deployment(s, dee, vid, "production")
    return {"settings": settings, "engine": engine, "dee": dee, "version_id": vid}


def _pcts(values: list[float]) -> dict:
    arr = np.asarray(values) * 1000
    return {"p50_ms": round(float(np.percentile(arr, 50)), 3), "p90_ms": round(float(np.percentile(arr, 90)), 3),
            "mean_ms": round(float(arr.mean()), 3)}


def part_overhead(w: dict, calls: int) -> dict:
    """Alternate calls with and without the log so both see the same machine state."""
    from automl_canvas.db import session_scope
    from automl_canvas.monitoring.log import PredictionLogWriter, new_request_id, prediction_rows
    from automl_canvas.serving.service import predict_records

    settings, engine, dee, vid = w["settings"], w["engine"], w["dee"], w["version_id"]
    records = make_table(calls, seed=5)[NUMERIC + CATEGORICAL].to_dict(orient="records")
    writer = PredictionLogWriter(engine, settings)
    times = {"without_log": [], "with_log": []}
    load_before = loadavg()
    for i, rec in enumerate([records[0]] * 20 + records):  # the first 20 warm the model cache
        log = writer if i % 2 else None
        t0 = time.perf_counter()
        with session_scope(engine) as s:
            predict_records(s, settings, dee, vid, [rec], log=log)
        dt = time.perf_counter() - t0
        if i >= 20:
            times["with_log" if log else "without_log"].append(dt)
    writer.close()
    queue_only = []
    out = [{"prediction": "yes", "probabilities": {"no": 0.3, "yes": 0.7}}]
    for rec in records[:500]:
        t0 = time.perf_counter()
        writer.submit(prediction_rows(vid, new_request_id(), [rec], out, ["no", "yes"], "api", 1.0))
        queue_only.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    flushed = writer.flush()
    flush_s = time.perf_counter() - t0
    res = {"calls": calls, "without_log": _pcts(times["without_log"]), "with_log": _pcts(times["with_log"]),
           "queue_one_row": _pcts(queue_only), "flush_rows": flushed, "flush_s": round(flush_s, 4),
           "written": writer.written, "dropped": writer.dropped, "loadavg_before": load_before, "loadavg_after": loadavg()}
    res["overhead_p50_ms"] = round(res["with_log"]["p50_ms"] - res["without_log"]["p50_ms"], 3)
    return res


def part_check(w: dict, rows: int) -> dict:
    from automl_canvas.auth.users import get_user
    from automl_canvas.db import session_scope
    from automl_canvas.models import ModelVersion, ModelVersionPublic
    from automl_canvas.monitoring.checks import run_check
    from automl_canvas.monitoring.log import frame_rows, write_rows
    from automl_canvas.monitoring.service import submit_check
    from automl_canvas.registry.service import load_model
    from automl_canvas.runner.worker import Worker

    settings, engine, vid = w["settings"], w["engine"], w["version_id"]
    with session_scope(engine) as s:
        version = ModelVersionPublic.model_validate(s.get(ModelVersion, vid))
    model = load_model(settings, version)
    live = make_table(rows, seed=9, shift=1.0)
    inputs = live[NUMERIC + CATEGORICAL]
    t0 = time.perf_counter()
    log_rows = frame_rows(vid, "bench", inputs, model.predict_frame(inputs), "batch", 1.0)
    for k, r in enumerate(log_rows[:20_000]):
        r["actual"] = live["target"].iat[k]
    with engine.begin() as conn:
        write_rows(conn, log_rows)
    load_s = time.perf_counter() - t0
    load_before = loadavg()
    t0 = time.perf_counter()
    check = run_check(engine, settings, vid)
    check_s = time.perf_counter() - t0
    with session_scope(engine) as s:
        sam = get_user(s, "sam")
    job = submit_check(engine, settings, sam, vid)
    t0 = time.perf_counter()
    Worker(settings, engine=engine).run(once=True)
    job_s = time.perf_counter() - t0
    flagged = sorted(k for k, f in check.features.items() if f["drifted"])
    return {"rows": check.rows, "features": len(check.features), "labelled": check.labelled_rows,
            "write_log_s": round(load_s, 2), "check_s": round(check_s, 2), "job_s": round(job_s, 2), "job_id": job.id,
            "flagged": flagged, "flagged_expected": [SHIFTED], "status": check.status,
            "findings": [f["kind"] for f in check.findings], "live_metric": check.live_metric,
            "holdout_metric": check.holdout_metric, "loadavg_before": load_before, "loadavg_after": loadavg()}


def report(res: dict, path: Path) -> None:
    lines = header_lines("Monitoring: prediction-log overhead and drift-check time",
                         {"Script": "`benchmarks/monitoring.py`", "Database": res["database"]})
    o = res["overhead"]
    met = "met" if o["overhead_p50_ms"] <= TARGETS["log_overhead_p50_ms"] else "NOT met"
    lines += ["## Logging overhead on a one-record predict call", "",
              f"In-process `predict_records` on a deployed LightGBM version, {o['calls']} calls alternating with and "
              "without the API's prediction-log writer (its flush thread running).", "",
              "| | p50 ms | p90 ms | mean ms |", "|---|---|---|---|",
              f"| without log | {o['without_log']['p50_ms']} | {o['without_log']['p90_ms']} | {o['without_log']['mean_ms']} |",
              f"| with log | {o['with_log']['p50_ms']} | {o['with_log']['p90_ms']} | {o['with_log']['mean_ms']} |",
              f"| queueing one row alone | {o['queue_one_row']['p50_ms']} | {o['queue_one_row']['p90_ms']} | {o['queue_one_row']['mean_ms']} |",
              "", f"Overhead at p50: **{o['overhead_p50_ms']} ms** (target <= {TARGETS['log_overhead_p50_ms']} ms: {met}). "
              f"A flush wrote {o['flush_rows']} rows in {o['flush_s']} s; dropped rows: {o['dropped']}; "
              f"load avg {o['loadavg_before']} / {o['loadavg_after']}.", ""]
    c = res["check"]
    met = "met" if c["check_s"] <= TARGETS["check_100k_s"] else "NOT met"
    lines += ["## A drift check over the log", "",
              f"{c['rows']:,} logged rows x {c['features']} features, {c['labelled']:,} with a true outcome; `{SHIFTED}` shifted "
              "by one standard deviation.", "",
              "| measure | value |", "|---|---|",
              f"| `run_check` wall s | **{c['check_s']}** (target <= {TARGETS['check_100k_s']} s: {met}) |",
              f"| the same check as a worker job (child process, imports) s | {c['job_s']} |",
              f"| writing the 100k log rows (setup) s | {c['write_log_s']} |",
              f"| features flagged | {', '.join(c['flagged']) or 'none'} (expected: {', '.join(c['flagged_expected'])}) |",
              f"| findings | {', '.join(c['findings']) or 'none'} |",
              f"| live / holdout metric | {c['live_metric']} / {c['holdout_metric']} |",
              f"| load avg before / after | {c['loadavg_before']} / {c['loadavg_after']} |", ""]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--calls", type=int, default=600)
    ap.add_argument("--pg", action="store_true", help="run on a throwaway database of the local PostgreSQL")
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    url, drop = (None, None)
    if a.pg:
        from scaleout import _pg_database

        url, drop = _pg_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            w = build_world(Path(tmp), url)
            res = {"date": now_iso(), "machine": machine_info(), "database": "PostgreSQL (local)" if a.pg else "SQLite (embedded)",
                   "overhead": part_overhead(w, a.calls)}
            print(res["overhead"], flush=True)
            res["check"] = part_check(w, a.rows)
            print(res["check"], flush=True)
            w["engine"].dispose()
    finally:
        if drop:
            drop()
    stem = a.out / f"monitoring-{'pg-' if a.pg else ''}{today()}"
    dump_json(stem.with_suffix(".json"), res)
    report(res, stem.with_suffix(".md"))
    print(f"wrote {stem}.json and .md")


if __name__ == "__main__":
    main()
