"""Service overhead benchmark: what the job machinery adds around a search.

(i) Job overhead.  A seeded 50,000-row x 15-column binary table (numeric +
    categorical, with missing values) goes through the whole service path on a
    temporary ``AUTOML_CANVAS_HOME`` with SQLite: ``ingest_file`` ->
    ``submit_training`` (budget 30 s) -> a real ``Worker`` that runs the job in
    its child process.  Reported: job wall time (finished_at - started_at) minus
    the budget (target <= 10 s), and, because FLAML may stop before or run past
    its budget, also the wall time minus the search's own measured seconds.
    A side thread polls the job row so the time spent in each stage is shown.
    Repeated 3 times (``--repeats``).

(ii) Start latency.  One idle ``Worker`` runs in a thread; 50 diagnostic
    ``sleep 0`` jobs are submitted one at a time (each after the previous one
    finished, plus a seeded random pause of 0-0.5 s so submissions fall at
    random points of the worker's poll cycle).  Reported: started_at -
    created_at p50 / p95 / max (target p95 <= 1 s), and for context
    finished_at - created_at (includes spawning the job's child process).

    .venv/bin/python benchmarks/overhead.py [--budget 30] [--repeats 3] [--jobs 50] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import RESULTS, dump_json, header_lines, library_versions, loadavg, machine_info, now_iso, today

TARGET_OVERHEAD_S = 10.0
TARGET_P95_S = 1.0


def generate(path: Path, rows: int = 50_000, seed: int = 0) -> dict:
    """15 columns: 9 numeric (3 with missing values), 5 categorical, 1 binary target."""
    rng = np.random.default_rng(seed)
    n = rows
    cols: dict[str, object] = {}
    for i in range(9):
        x = rng.normal(size=n)
        if i < 3:
            x = np.where(rng.random(n) < 0.05, np.nan, x)
        cols[f"x{i}"] = x.round(5)
    cards = (2, 4, 8, 25, 120)
    for j, card in enumerate(cards):
        v = rng.integers(0, card, size=n)
        cols[f"c{j}"] = np.array([f"{chr(97 + j)}{k}" for k in range(card)], dtype=object)[v]
    x = {k: np.nan_to_num(v) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v for k, v in cols.items()}
    effect_c3 = rng.normal(scale=0.8, size=25)
    logit = (
        0.9 * x["x0"] - 0.6 * x["x1"] + 0.5 * x["x2"] * x["x3"] + 0.4 * np.sin(2 * x["x4"])
        + (cols["c0"] == "a1") * 0.7 + effect_c3[np.array([int(s[1:]) for s in cols["c3"]])] - 0.8
    )
    cols["target"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    df = pd.DataFrame(cols)
    assert df.shape == (n, 15), df.shape
    df.to_csv(path, index=False)
    return {"rows": n, "columns": df.shape[1], "bytes": path.stat().st_size, "seed": seed,
            "positive_share": float((df["target"] == "yes").mean())}


def _world(home: Path, **overrides):
    from automl_canvas.config import Settings
    from automl_canvas.db import init_db, make_engine

    os.environ["AUTOML_CANVAS_HOME"] = str(home)
    settings = Settings(home=home, **overrides)
    settings.ensure_dirs()
    engine = make_engine(settings)
    init_db(engine)
    return settings, engine


def _user_and_project(engine, name: str):
    from automl_canvas.auth.users import ensure_user
    from automl_canvas.db import session_scope
    from automl_canvas.models import ProjectCreate
    from automl_canvas.projects.service import create_project

    with session_scope(engine) as s:
        user = ensure_user(s, "bench", ("analyst",), "Benchmark")
    with session_scope(engine) as s:
        project = create_project(s, user, ProjectCreate(name=name, question="benchmark"))
    return user, project


def _get_job(engine, job_id):
    from automl_canvas.db import session_scope
    from automl_canvas.jobs import queue

    with session_scope(engine) as s:
        return queue.get_job(s, job_id)


class _StageWatcher(threading.Thread):
    """Polls the job row and records when each progress stage was first seen (wall clock)."""

    def __init__(self, engine, job_id: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.engine, self.job_id, self.interval = engine, job_id, interval
        self.first_seen: dict[str, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                job = _get_job(self.engine, self.job_id)
                stage = (job.progress or {}).get("stage")
                if job.status == "running" and stage and stage not in self.first_seen:
                    self.first_seen[stage] = time.time()
            except Exception:  # noqa: BLE001, S110 - a busy database must not end the watch
                pass
            self.done.wait(self.interval)


def job_overhead(tmp: Path, budget: float, repeats: int) -> dict:
    from automl_canvas.datasets.service import ingest_file
    from automl_canvas.db import session_scope
    from automl_canvas.models import ModelVersion
    from automl_canvas.runner.worker import Worker
    from automl_canvas.services.training import submit_training
    from automl_canvas.training.spec import TrainingRequest

    csv = tmp / "bench_binary_50k.csv"
    gen = generate(csv)
    settings, engine = _world(tmp / "home-train", evidence_after_training=False)  # time the training job alone
    user, project = _user_and_project(engine, "overhead")
    t = time.perf_counter()
    dataset = ingest_file(engine, settings, user, project.id, csv)
    ingest_s = time.perf_counter() - t
    print(f"ingested {dataset.n_rows:,} x {dataset.n_columns} in {ingest_s:.1f} s (dataset {dataset.id})", flush=True)
    runs = []
    for i in range(repeats):
        job = submit_training(engine, settings, user, dataset.id, TrainingRequest(target="target", budget=budget, seed=i))
        watcher = _StageWatcher(engine, job.id)
        watcher.start()
        load0 = loadavg()
        worker = Worker(settings, engine=engine)
        t0 = time.perf_counter()
        ran = worker.run(once=True)
        worker_wall = time.perf_counter() - t0
        watcher.done.set()
        watcher.join()
        done = _get_job(engine, job.id)
        if done.status != "succeeded" or ran != 1:
            raise RuntimeError(f"training job {job.id} ended {done.status}: {done.error}")
        with session_scope(engine) as s:
            version = s.get(ModelVersion, done.result["version_id"])
            recipe = dict(version.recipe)
            learner = version.best_learner
            holdout = version.holdout_score
        wall = (done.finished_at - done.started_at).total_seconds()
        search_s = float(recipe["search"]["wall_seconds"])
        start = done.started_at.timestamp()
        order = sorted(watcher.first_seen.items(), key=lambda kv: kv[1])
        stages = []
        for k, (stage, at) in enumerate(order):
            end = order[k + 1][1] if k + 1 < len(order) else done.finished_at.timestamp()
            if stage == "queued":  # the row still says "queued" until the child writes its first stage
                stage = "child start (spawn, imports, dataset load)"
            stages.append({"stage": stage, "from_start_s": round(at - start, 2), "seconds": round(end - at, 2)})
        run = {
            "repeat": i + 1,
            "job_id": job.id,
            "budget_seconds": budget,
            "job_wall_seconds": wall,
            "overhead_vs_budget_seconds": wall - budget,
            "search_wall_seconds": search_s,
            "overhead_vs_search_seconds": wall - search_s,
            "queue_wait_seconds": (done.started_at - done.created_at).total_seconds(),
            "worker_run_wall_seconds": worker_wall,
            "first_stage_seen_after_s": stages[0]["from_start_s"] if stages else None,
            "stages": stages,
            "trials": recipe["search"].get("trials"),
            "search_best_learner": recipe["search"].get("best_learner"),
            "chosen_learner": learner,
            "holdout_roc_auc": holdout,
            "loadavg_1min_before": load0,
            "loadavg_1min_after": loadavg(),
        }
        runs.append(run)
        print(
            f"job {job.id}: wall {wall:.1f} s = budget {budget:.0f} s + {wall - budget:.1f} s "
            f"(search itself {search_s:.1f} s, non-search {wall - search_s:.1f} s); learner {learner}, AUC {holdout:.4f}",
            flush=True,
        )
        print("   stages: " + ", ".join(f"{s['stage']} {s['seconds']:.1f}s" for s in stages), flush=True)
    engine.dispose()
    return {"generated": gen, "ingest_seconds": ingest_s, "settings": {"n_jobs": settings.n_jobs,
            "cv_max_rows": settings.cv_max_rows, "refit_full": settings.refit_full,
            "job_heartbeat_seconds": settings.job_heartbeat_seconds}, "runs": runs}


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def start_latency(tmp: Path, n_jobs: int, seed: int = 0) -> dict:
    from automl_canvas.db import session_scope
    from automl_canvas.jobs import queue
    from automl_canvas.runner.worker import Worker

    settings, engine = _world(tmp / "home-latency")
    user, _ = _user_and_project(engine, "latency")
    worker = Worker(settings, engine=engine)
    thread = threading.Thread(target=worker.run, daemon=True, name="bench-worker")
    thread.start()
    time.sleep(2.0)  # let it settle into its idle poll loop
    rng = random.Random(seed)
    rows = []
    try:
        for _ in range(n_jobs):
            time.sleep(rng.uniform(0.0, 0.5))
            with session_scope(engine) as s:
                job_id = queue.enqueue(s, kind="diagnostic", payload={"mode": "sleep", "seconds": 0},
                                       created_by_id=user.id, time_limit_seconds=60).id
            deadline = time.monotonic() + 60
            while True:
                job = _get_job(engine, job_id)
                if job.is_terminal:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"diagnostic job {job_id} did not finish in 60 s ({job.status})")
                time.sleep(0.02)
            if job.status != "succeeded":
                raise RuntimeError(f"diagnostic job {job_id} ended {job.status}: {job.error}")
            rows.append({
                "job_id": job_id,
                "start_latency_seconds": (job.started_at - job.created_at).total_seconds(),
                "end_to_end_seconds": (job.finished_at - job.created_at).total_seconds(),
            })
    finally:
        worker.stop.set()
        thread.join(30)
        engine.dispose()
    lat = [r["start_latency_seconds"] for r in rows]
    e2e = [r["end_to_end_seconds"] for r in rows]
    return {
        "jobs": len(rows),
        "job_poll_seconds": settings.job_poll_seconds,
        "start_latency": {"p50": _pct(lat, 50), "p95": _pct(lat, 95), "max": max(lat), "mean": float(np.mean(lat))},
        "end_to_end": {"p50": _pct(e2e, 50), "p95": _pct(e2e, 95), "max": max(e2e), "mean": float(np.mean(e2e))},
        "samples": rows,
    }


def _markdown(result: dict) -> str:
    ov, lat = result["job_overhead"], result["start_latency"]
    md = header_lines(
        "Service overhead benchmark",
        {"Script": "`benchmarks/overhead.py`", "Database": "SQLite (temporary AUTOML_CANVAS_HOME)",
         "Training budget": f"{result['budget_seconds']:.0f} s"},
    )
    g = ov["generated"]
    md += [
        "## (i) Job overhead: ingest -> submit_training -> Worker (child process per job)",
        "",
        f"Data: generated {g['rows']:,} rows x {g['columns']} columns (9 numeric, 5 categorical, binary target, "
        f"{g['positive_share']:.0%} positive; seed {g['seed']}). Ingest took {ov['ingest_seconds']:.1f} s (not part of the job). "
        f"Settings: n_jobs={ov['settings']['n_jobs']}, refit_full={ov['settings']['refit_full']}, "
        f"cv_max_rows={ov['settings']['cv_max_rows']} (40,000 fit rows > limit, so no CV).",
        "",
        "| repeat | job wall s (finished-started) | wall - budget s | search s (FLAML, measured) | wall - search s | trials | learner | holdout AUC | load avg before/after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ov["runs"]:
        md.append(
            f"| {r['repeat']} | {r['job_wall_seconds']:.1f} | {r['overhead_vs_budget_seconds']:.1f} | {r['search_wall_seconds']:.1f} | "
            f"{r['overhead_vs_search_seconds']:.1f} | {r['trials']} | {r['chosen_learner']} | {r['holdout_roc_auc']:.4f} | "
            f"{r['loadavg_1min_before']} / {r['loadavg_1min_after']} |"
        )
    md += ["", "Time per stage (first time each progress stage was seen on the job row, polled every 0.1 s; "
           "the last stage runs until finished_at, so it includes saving the artifact and the final commit):", ""]
    for r in ov["runs"]:
        md.append(f"- repeat {r['repeat']}: starts after {r['first_stage_seen_after_s']} s; "
                  + ", ".join(f"{s['stage']} {s['seconds']:.1f} s" for s in r["stages"]))
    worst = max(r["overhead_vs_budget_seconds"] for r in ov["runs"])
    worst_search = max(r["overhead_vs_search_seconds"] for r in ov["runs"])
    md += [
        "",
        f"## (ii) Start latency: one idle Worker in a thread, {lat['jobs']} diagnostic sleep-0 jobs one at a time",
        "",
        f"Worker poll interval {lat['job_poll_seconds']} s (default). Submissions are spaced by a seeded random 0-0.5 s pause.",
        "",
        "| measure | p50 s | p95 s | max s | mean s |",
        "|---|---|---|---|---|",
        "| started_at - created_at | {p50:.3f} | {p95:.3f} | {max:.3f} | {mean:.3f} |".format(**lat["start_latency"]),
        "| finished_at - created_at (incl. child process spawn) | {p50:.3f} | {p95:.3f} | {max:.3f} | {mean:.3f} |".format(**lat["end_to_end"]),
        "",
        "## Against the targets",
        "",
        "| measure | result | target | met |",
        "|---|---|---|---|",
        f"| job overhead (wall - budget), worst of {len(ov['runs'])} | {worst:.1f} s | <= {TARGET_OVERHEAD_S:.0f} s | {'yes' if worst <= TARGET_OVERHEAD_S else 'NO'} |",
        f"| job overhead (wall - measured search time), worst | {worst_search:.1f} s | (context) | |",
        f"| start latency p95 | {lat['start_latency']['p95']:.3f} s | <= {TARGET_P95_S:.0f} s | {'yes' if lat['start_latency']['p95'] <= TARGET_P95_S else 'NO'} |",
        "",
    ]
    return "\n".join(md)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=30.0, help="training budget in seconds (default 30)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=50, help="diagnostic jobs for the start-latency part")
    ap.add_argument("--skip-training", action="store_true", help="only measure start latency")
    ap.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = ap.parse_args(argv)

    result = {"benchmark": "overhead", "date": now_iso(), "machine": machine_info(), "versions": library_versions(),
              "budget_seconds": args.budget}
    with tempfile.TemporaryDirectory(prefix="canvas-overhead-bench-") as tmp:
        tmp = Path(tmp)
        print("(ii) start latency ...", flush=True)
        result["start_latency"] = start_latency(tmp, args.jobs)
        sl = result["start_latency"]["start_latency"]
        print(f"start latency p50 {sl['p50']:.3f} s, p95 {sl['p95']:.3f} s, max {sl['max']:.3f} s", flush=True)
        if not args.skip_training:
            print("(i) job overhead ...", flush=True)
            result["job_overhead"] = job_overhead(tmp, args.budget, args.repeats)
    stem = args.out / f"overhead-{today()}"
    dump_json(stem.with_suffix(".json"), result)
    if "job_overhead" in result:
        stem.with_suffix(".md").write_text(_markdown(result), encoding="utf-8")
    print(f"wrote {stem.with_suffix('.json')}" + ("" if args.skip_training else f" and {stem.with_suffix('.md')}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
