"""Scale-out: queue throughput and claim latency on PostgreSQL, Ray concurrency, a 327k-row table end to end.

Parts (``--parts queue,ray,flights``):

- ``queue``: on a throwaway PostgreSQL database, (i) jobs per minute with 1, 2
  and 4 real ``automl-canvas worker`` processes on short diagnostic jobs
  (``sleep 0``: the cost measured is the queue plus a child process per job);
  (ii) claim latency: 4 processes claim-and-finish 400 queued jobs as fast as
  they can; p50/p95/p99 of ``claim_next``. Target p95 <= 100 ms.
- ``ray``: a fixed-budget FLAML search on a local Ray head (2 CPUs) with 1 and
  then 2 concurrent trials; the trial counts and their ratio.
- ``flights``: ``nyc_flights_2013.csv`` (327,346 rows) ingested, trained (with
  the given budget) and its evidence computed, each stage in a fresh process,
  with wall time and peak RSS per stage.

    .venv/bin/python benchmarks/scaleout.py [--parts queue,ray,flights] [--budget 60] [--ray-budget 60]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, RESULTS, datasets_dir, dump_json, header_lines, loadavg, machine_info, now_iso, today
from _common import pg_database as _pg_database


def _world(home: Path, url: str):
    from automl_canvas.auth.users import ensure_user
    from automl_canvas.config import Settings
    from automl_canvas.db import make_engine, session_scope

    settings = Settings(home=home, database_url_override=url, job_poll_seconds=0.1, n_jobs=1)
    settings.ensure_dirs()
    engine = make_engine(settings)
    with session_scope(engine) as s:
        user = ensure_user(s, "bench", ("analyst", "scientist"), "Benchmark")
    return settings, engine, user


def _enqueue(engine, user, n: int) -> list[int]:
    from automl_canvas.db import session_scope
    from automl_canvas.jobs import queue

    with session_scope(engine) as s:
        return [queue.enqueue(s, kind="diagnostic", payload={"seconds": 0}, created_by_id=user.id,
                              time_limit_seconds=60).id for _ in range(n)]


def _truncate(engine) -> None:
    import sqlalchemy as sa

    with engine.begin() as c:
        c.execute(sa.text("TRUNCATE jobs RESTART IDENTITY CASCADE"))


def _throughput(settings, engine, user, workers: int, jobs: int) -> dict:
    import sqlalchemy as sa

    from automl_canvas.models import Job

    _truncate(engine)
    env = {**os.environ, "PYTHONPATH": str(REPO), "AUTOML_CANVAS_HOME": str(settings.home),
           "AUTOML_CANVAS_DATABASE_URL": settings.database_url, "AUTOML_CANVAS_JOB_POLL_SECONDS": "0.1",
           "AUTOML_CANVAS_N_JOBS": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "automl_canvas.cli", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        # Warm-up: one job per worker, so every worker is up and polling before the clock starts.
        warm = _enqueue(engine, user, workers)
        _wait_done(engine, warm)
        load0 = loadavg()
        t0 = time.perf_counter()
        ids = _enqueue(engine, user, jobs)
        _wait_done(engine, ids)
        wall = time.perf_counter() - t0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    with engine.connect() as c:
        rows = c.execute(sa.select(Job.status, Job.attempts, Job.started_at, Job.created_at).where(Job.id.in_(ids))).all()
    waits = sorted((r.started_at - r.created_at).total_seconds() for r in rows)
    return {"workers": workers, "jobs": jobs, "wall_s": round(wall, 2), "jobs_per_min": round(jobs / wall * 60, 1),
            "all_succeeded": all(r.status == "succeeded" and r.attempts == 1 for r in rows),
            "start_wait_p50_s": round(waits[len(waits) // 2], 2), "loadavg_before": load0, "loadavg_after": loadavg()}


def _wait_done(engine, ids, timeout=900) -> None:
    import sqlalchemy as sa

    from automl_canvas.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as c:
            left = c.execute(sa.select(sa.func.count()).select_from(Job).where(
                Job.id.in_(ids), Job.status.in_(["queued", "running"]))).scalar_one()
        if not left:
            return
        time.sleep(0.2)
    raise TimeoutError("jobs did not finish")


def _claimer(url: str, out: str) -> None:
    """One claiming process: claim and finish until the queue is empty; write each claim's latency."""
    from automl_canvas.config import Settings
    from automl_canvas.db import make_engine
    from automl_canvas.jobs import queue
    from automl_canvas.models import JobStatus

    engine = make_engine(Settings(home=Path("/tmp"), database_url_override=url))
    me = f"bench-{os.getpid()}"
    lat = []
    while True:
        t = time.perf_counter()
        job = queue.claim_next(engine, me, 60)
        lat.append(time.perf_counter() - t)
        if job is None:
            break
        queue.finish(engine, job.id, me, JobStatus.succeeded, result={})
    Path(out).write_text(json.dumps(lat))


def _claim_latency(settings, engine, user, processes: int = 4, jobs: int = 400) -> dict:
    import multiprocessing as mp

    import numpy as np

    _truncate(engine)
    _enqueue(engine, user, jobs)
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        outs = [str(Path(tmp) / f"lat-{i}.json") for i in range(processes)]
        load0 = loadavg()
        ps = [ctx.Process(target=_claimer, args=(settings.database_url, o)) for o in outs]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        lat = np.array([x for o in outs for x in json.loads(Path(o).read_text())]) * 1000
    return {"processes": processes, "claims": int(lat.size), "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1), "p99_ms": round(float(np.percentile(lat, 99)), 1),
            "max_ms": round(float(lat.max()), 1), "loadavg_before": load0, "loadavg_after": loadavg()}


def part_queue(jobs: int) -> dict:
    url, drop = _pg_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings, engine, user = _world(Path(tmp), url)
            claims = _claim_latency(settings, engine, user)
            print("CLAIMS " + json.dumps(claims), flush=True)
            runs = []
            for n in (1, 2, 4):
                runs.append(_throughput(settings, engine, user, n, jobs))
                print("THROUGHPUT " + json.dumps(runs[-1]), flush=True)
            engine.dispose()
    finally:
        drop()
    return {"throughput": runs, "claim_latency": claims}


def part_claims() -> dict:
    """Claim latency alone (to repeat it when the shared machine is quieter)."""
    url, drop = _pg_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings, engine, user = _world(Path(tmp), url)
            claims = _claim_latency(settings, engine, user)
            engine.dispose()
    finally:
        drop()
    return {"throughput": [], "claim_latency": claims}


def part_ray(budget: float) -> dict:
    import numpy as np
    import pandas as pd
    import ray

    from automl_canvas.errors import TrainingConfigError
    from automl_canvas.training.search import run_search

    rng = np.random.default_rng(0)
    n, d = 5000, 20
    X = pd.DataFrame(rng.normal(size=(n, d)), columns=[f"x{i}" for i in range(d)])
    y = ((X.iloc[:, :5].sum(axis=1) + rng.normal(size=n)) > 0).astype("int64").to_numpy()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    address = ray.get_runtime_context().gcs_address
    out = []
    try:
        for conc in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                load0 = loadavg()
                try:
                    r = run_search(X.iloc[:4000], y[:4000], X.iloc[4000:], y[4000:], task="binary", metric="roc_auc",
                                   time_budget=budget, seed=0, n_jobs=1, log_path=Path(tmp) / "s.jsonl",
                                   learners=("lgbm", "rf", "extra_tree"), ray_address=address, concurrent_trials=conc)
                except TrainingConfigError as exc:  # no trial finished: an honest result under heavy load
                    out.append({"concurrent_trials": conc, "budget_s": budget, "trials": 0, "trial_processes": 0,
                                "best_loss": None, "wall_s": None, "error": exc.message, "loadavg_before": load0,
                                "loadavg_after": loadavg()})
                    print("RAY " + json.dumps(out[-1]), flush=True)
                    continue
                out.append({"concurrent_trials": conc, "budget_s": budget, "trials": len(r.trials),
                            "trial_processes": len(r.ray["trial_processes"]), "best_loss": round(r.best_loss, 5),
                            "wall_s": round(r.wall_seconds, 1), "loadavg_before": load0, "loadavg_after": loadavg()})
                print("RAY " + json.dumps(out[-1]), flush=True)
    finally:
        ray.shutdown()
    return {"runs": out, "speedup_trials": round(out[1]["trials"] / max(1, out[0]["trials"]), 2),
            "data": f"generated binary table {n} x {d} (4000 train, 1000 validation)"}


def _stage(stage: str, home: str, url: str, budget: float) -> None:
    """One stage of the flights run in this (fresh) process; prints wall and peak RSS."""
    from automl_canvas.db import session_scope
    from automl_canvas.jobs import queue
    from automl_canvas.runner.worker import Worker

    settings, engine, user = _world(Path(home), url)
    settings = settings.model_copy(update={"n_jobs": -1, "evidence_after_training": stage == "train",
                                           "job_time_limit_grace_seconds": 1800})
    t = time.perf_counter()
    info: dict = {}
    if stage == "ingest":
        from automl_canvas.datasets.service import ingest_file
        from automl_canvas.projects import get_or_create_project

        with session_scope(engine) as s:
            pid = get_or_create_project(s, user, "flights").id
        ds = ingest_file(engine, settings, user, pid, datasets_dir() / "nyc_flights_2013.csv")
        info = {"dataset_id": ds.id, "rows": ds.n_rows, "columns": ds.n_columns}
    else:
        if stage == "train":
            from automl_canvas.services.training import submit_training
            from automl_canvas.training.spec import TrainingRequest

            job = submit_training(engine, settings, user, 1, TrainingRequest(target="arr_delay", budget=budget))
        else:
            with session_scope(engine) as s:
                waiting = queue.list_jobs(s, status="queued")
            if not waiting:
                raise RuntimeError("no evidence job is queued: the training stage did not succeed")
            job = waiting[0]
        Worker(settings, engine=engine).run(once=True)
        with session_scope(engine) as s:
            j = queue.get_job(s, job.id)
        info = {"job_id": j.id, "kind": j.kind, "status": j.status, "result": j.result or j.error}
    info.update(stage=stage, wall_s=round(time.perf_counter() - t, 1),
                peak_rss_mb=round(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024, 1),
                loadavg_after=loadavg())
    print("STAGE " + json.dumps(info, default=str), flush=True)


def part_flights(budget: float) -> dict:
    if not (datasets_dir() / "nyc_flights_2013.csv").exists():
        return {"skipped": f"nyc_flights_2013.csv not found in {datasets_dir()}"}
    url, drop = _pg_database()
    stages = []
    try:
        with tempfile.TemporaryDirectory() as home:
            for stage in ("ingest", "train", "evidence"):
                proc = subprocess.run([sys.executable, __file__, "--stage", stage, "--home", home, "--url", url,
                                       "--budget", str(budget)], capture_output=True, text=True, check=False,
                                      env={**os.environ, "PYTHONPATH": str(REPO)})
                line = next((x for x in proc.stdout.splitlines() if x.startswith("STAGE ")), None)
                if line is None:
                    raise RuntimeError(f"stage {stage} failed:\n{proc.stderr[-3000:]}")
                stages.append(json.loads(line[6:]))
                print(line, flush=True)  # partial results survive a later failure
    finally:
        drop()
    return {"budget_s": budget, "stages": stages}


def _report(res: dict, path: Path) -> None:
    lines = header_lines("Scale-out: queue throughput, claim latency, Ray concurrency, 327k rows end to end",
                         {"Script": "`benchmarks/scaleout.py`", "Database": "PostgreSQL on 127.0.0.1 (same machine)"})
    q = res.get("queue")
    if q:
        lines += ["## Queue (PostgreSQL)", "", "Diagnostic `sleep 0` jobs; each job runs in a fresh child process of its worker.", "",
                  "| workers | jobs | wall s | jobs/min | all ran once | median start wait s | load avg before/after |",
                  "|---|---|---|---|---|---|---|"]
        for r in q["throughput"]:
            lines.append(f"| {r['workers']} | {r['jobs']} | {r['wall_s']} | {r['jobs_per_min']} | {r['all_succeeded']} | "
                         f"{r['start_wait_p50_s']} | {r['loadavg_before']} / {r['loadavg_after']} |")
        c = q["claim_latency"]
        lines += ["", f"Claim latency: {c['processes']} processes claim-and-finish {c['claims']} claims: "
                  f"p50 {c['p50_ms']} ms, **p95 {c['p95_ms']} ms** (target <= 100 ms: {'met' if c['p95_ms'] <= 100 else 'NOT met'}), "
                  f"p99 {c['p99_ms']} ms, max {c['max_ms']} ms; load avg {c['loadavg_before']} / {c['loadavg_after']}.", ""]
    r = res.get("ray")
    if r:
        lines += ["## Ray: concurrent trials, fixed budget", "", f"Local Ray head, 2 CPUs; {r['data']}; learners lgbm, rf, extra_tree.", "",
                  "| concurrent trials | budget s | trials | trial processes | best loss | load avg before/after |", "|---|---|---|---|---|---|"]
        for x in r["runs"]:
            lines.append(f"| {x['concurrent_trials']} | {x['budget_s']} | {x['trials']} | {x['trial_processes']} | {x['best_loss']} | "
                         f"{x['loadavg_before']} / {x['loadavg_after']} |")
        lines += ["", f"Trial-count speed-up, 2 vs 1: **{r['speedup_trials']}x**.", ""]
    f = res.get("flights")
    if f and "stages" in f:
        lines += ["## nyc_flights_2013.csv end to end", "", f"Training budget {f['budget_s']} s; each stage in a fresh process "
                  "(peak RSS = the larger of the stage process and its job's child process).", "",
                  "| stage | wall s | peak RSS MB | detail |", "|---|---|---|---|"]
        for s in f["stages"]:
            detail = {k: v for k, v in s.items() if k not in ("stage", "wall_s", "peak_rss_mb")}
            lines.append(f"| {s['stage']} | {s['wall_s']} | {s['peak_rss_mb']} | `{json.dumps(detail, default=str)[:300]}` |")
    elif f:
        lines += ["## nyc_flights_2013.csv", "", f["skipped"]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parts", default="queue,ray,flights")
    ap.add_argument("--jobs", type=int, default=60, help="jobs per throughput run")
    ap.add_argument("--ray-budget", type=float, default=60)
    ap.add_argument("--budget", type=float, default=60, help="flights training budget")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--stage"), ap.add_argument("--home"), ap.add_argument("--url")
    a = ap.parse_args()
    if a.stage:
        _stage(a.stage, a.home, a.url, a.budget)
        return
    res: dict = {"date": now_iso(), "machine": machine_info()}
    parts = a.parts.split(",")
    if "queue" in parts:
        res["queue"] = part_queue(a.jobs)
        print(json.dumps(res["queue"]), flush=True)
    if "claims" in parts:
        res["queue"] = part_claims()
        print(json.dumps(res["queue"]), flush=True)
    if "ray" in parts:
        res["ray"] = part_ray(a.ray_budget)
        print(json.dumps(res["ray"]), flush=True)
    if "flights" in parts:
        res["flights"] = part_flights(a.budget)
        print(json.dumps(res["flights"], default=str), flush=True)
    stem = a.out / f"scaleout-{'-'.join(parts)}-{today()}" if parts != ["queue", "ray", "flights"] else a.out / f"scaleout-{today()}"
    dump_json(stem.with_suffix(".json"), res)
    _report(res, stem.with_suffix(".md"))
    print(f"wrote {stem}.json and .md")


if __name__ == "__main__":
    main()
