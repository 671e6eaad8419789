"""Jobs (issue 18): pickup latency, child start-up, the short lane on the default ``up``, a bounded kill storm.

Parts (``--parts pickup,lane,storm``), every one with real processes:

- ``pickup``: one idle ``automl-canvas worker`` (default settings) on SQLite and on
  a throwaway PostgreSQL database; diagnostic ``sleep 0`` jobs queued one at a
  time.  *Pickup* is from the enqueue commit to the job's handler running in
  its ready child (imports done), so child start-up is included; *claim* is from
  the commit to the claim; *child start-up* is claim to ready.  p50/p95/max.
  Three series (``--pickup-modes``): warm job processes on, each job queued once
  the worker's next warm process waits (``warm-idle``: an idle worker), or
  0.3-0.6 s after the previous job finished (``warm-back-to-back``: the next warm
  process may still be importing); and warm processes off (``cold``).  The
  warm-idle series also records a waiting warm process's memory and CPU.
- ``lane``: ``automl-canvas up --no-api --no-apps`` with its defaults (one general
  worker and the short lane); a long diagnostic job is held running (the
  stand-in for a 5-minute training job), then evidence jobs are queued one at a
  time: their start delay (commit to claim).  The control is the same with
  ``--no-short-lane``: is the evidence job still queued 10 s later?
- ``storm``: 3 workers on PostgreSQL run diagnostic jobs that each queue a
  follow-up job and finish in one fenced commit; at least 50 SIGKILLs hit
  busy workers (mid-job; restarted at once) and job processes, about half each.  Then the queue drains and the
  counts are taken: lost jobs (not finished, or failed without a reason), jobs
  with two results (two follow-ups), orphan processes (alive in a killed
  worker's process group 5 s after the end), half-written rows (a success
  without its follow-up, a follow-up without its parent's success).  Bounded:
  it stops by itself (storm at most 200 s, drain at most 90 s).

    .venv/bin/python benchmarks/jobs.py [--parts pickup,lane,storm] [--jobs 15] [--kills 50]
        [--pickup-modes warm-idle,warm-back-to-back,cold]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, RESULTS, dump_json, header_lines, loadavg, machine_info, now_iso, today
from _common import pg_database as _pg_database


class World:
    """A home directory and a migrated database, a user, and ``automl-canvas`` processes started on them."""

    def __init__(self, url: str | None, **env: str):
        from automl_canvas.auth.users import ensure_user
        from automl_canvas.config import Settings
        from automl_canvas.db import init_db, make_engine, session_scope

        self.home = Path(tempfile.mkdtemp(prefix="canvas-bench-jobs-"))
        self.settings = Settings(home=self.home, database_url_override=url)
        self.settings.ensure_dirs()
        self.engine = make_engine(self.settings)
        init_db(self.engine)
        with session_scope(self.engine) as s:
            self.user_id = ensure_user(s, "bench", ("analyst",), "Bench").id
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "AUTOML_CANVAS_HOME": str(self.home),
                    "AUTOML_CANVAS_DATABASE_URL": self.settings.database_url, **env}
        self.procs: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        log = (self.home / f"proc-{len(self.procs)}.log").open("w")
        p = subprocess.Popen([sys.executable, "-m", "automl_canvas.cli", *args], env=self.env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def enqueue(self, kind: str = "diagnostic", time_limit: float = 600, max_attempts: int = 3, **payload) -> int:
        from automl_canvas.db import session_scope
        from automl_canvas.jobs import queue

        with session_scope(self.engine) as s:
            return queue.enqueue(s, kind=kind, payload=payload, created_by_id=self.user_id,
                                 time_limit_seconds=time_limit, max_attempts=max_attempts).id

    def job(self, job_id: int):
        from automl_canvas.db import session_scope
        from automl_canvas.jobs import queue

        with session_scope(self.engine) as s:
            return queue.get_job(s, job_id)

    def wait(self, job_id: int, pred, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(j := self.job(job_id)):
                return j
            time.sleep(0.05)
        raise TimeoutError(f"job {job_id}: {self.job(job_id).status} after {timeout} s")

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)
        self.engine.dispose()


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))], 3)


def _summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": _pct(values, 0.5), "p95": _pct(values, 0.95), "max": round(max(values), 3)}


#: How a pickup series is run: warm job processes on (waiting until the worker's warm process is idle before
#: each job, or queuing each job shortly after the previous one finished), or off (the process starts after the claim).
PICKUP_MODES = {
    "warm-idle": "warm job processes on; each job queued once the worker's next warm process is waiting",
    "warm-back-to-back": "warm job processes on; each job queued 0.3-0.6 s after the previous one finished "
                         "(the next warm process may still be importing)",
    "cold": "warm job processes off (AUTOML_CANVAS_JOB_WARM_CHILDREN=false): the process starts after the claim",
}


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _idle_warm(pgid: int, timeout: float = 120.0) -> int:
    """The pid of the worker's warm job process once it is waiting (named ``canvas-idle``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in _group(pgid):
            if _comm(pid) == "canvas-idle":
                return pid
        time.sleep(0.02)
    raise TimeoutError("no warm job process became idle")


def pickup(url: str | None, n: int, mode: str = "warm-idle") -> dict:
    """One idle worker with the default settings; ``n`` jobs, each queued once the previous one finished."""
    world = World(url, **({"AUTOML_CANVAS_JOB_WARM_CHILDREN": "false"} if mode == "cold" else {}))
    load_before = loadavg()
    out: dict = {}
    try:
        worker = world.start("worker")
        world.wait(world.enqueue(seconds=0), lambda j: j.is_terminal, 300)  # the worker is up and idle
        if mode == "warm-idle":  # what a waiting warm process costs: memory, and CPU while it waits
            pid = _idle_warm(worker.pid)
            time.sleep(1.0)
            cpu0 = _cpu_seconds(pid)
            time.sleep(10.0)
            out["idle_warm_process"] = {"rss_mb": _rss_mb(pid), "cpu_seconds_in_10s_idle": round(_cpu_seconds(pid) - cpu0, 3)}
        pick, claim, startup, refill = [], [], [], []
        for _ in range(n):
            if mode == "warm-idle":
                waited = time.monotonic()
                _idle_warm(worker.pid)
                refill.append(time.monotonic() - waited)
            time.sleep(random.uniform(0.3, 0.6))  # a random phase against the worker's poll
            job_id = world.enqueue(seconds=0)
            queued = time.time()
            job = world.wait(job_id, lambda j: j.is_terminal, 300)
            assert job.status == "succeeded", job.error
            ready = job.result["started_at_epoch"]
            claimed = job.started_at.timestamp()
            pick.append(ready - queued)
            claim.append(claimed - queued)
            startup.append(ready - claimed)
        out = {"database": world.engine.dialect.name, "mode": mode, "pickup_s": _summary(pick), "claim_s": _summary(claim),
               "child_startup_s": _summary(startup), **out, "load_before": load_before, "load_after": loadavg()}
        if refill:
            out["wait_for_idle_warm_s"] = _summary(refill)
        return out
    finally:
        world.close()


def lane(n: int, short_lane: bool) -> dict:
    """The default ``up`` (SQLite): evidence jobs queued behind a held long job; their start delays."""
    world = World(None, AUTOML_CANVAS_WEBHOOK_POLL_SECONDS="0", AUTOML_CANVAS_MONITORING_INTERVAL_SECONDS="0")
    load_before = loadavg()
    try:
        world.start("up", "--no-api", "--no-apps", *([] if short_lane else ["--no-short-lane"]))
        long_id = world.enqueue(seconds=0, hold_file=str(world.home / "never"))
        world.wait(long_id, lambda j: j.progress.get("stage") == "held", 300)
        delays, still_queued = [], 0
        for _ in range(n if short_lane else 1):
            time.sleep(random.uniform(0.3, 0.6))
            job_id = world.enqueue("evidence", time_limit=60, version_id=10**9)  # fails at once once started
            try:
                job = world.wait(job_id, lambda j: j.started_at is not None, 10 if not short_lane else 120)
                delays.append((job.started_at - job.created_at).total_seconds())
                world.wait(job_id, lambda j: j.is_terminal, 120)  # the next one is queued with the lane idle again
            except TimeoutError:
                still_queued += 1
        assert world.job(long_id).status == "running"
        out = {"short_lane": short_lane, "long_job_running_throughout": True, "load_before": load_before,
               "load_after": loadavg()}
        if delays:
            out["start_delay_s"] = _summary(delays)
        out["evidence_jobs_still_queued_after_10s"] = still_queued if not short_lane else None
        return out
    finally:
        world.close()


def _group(pgid: int) -> list[int]:
    """Live processes in process group ``pgid`` (zombies excluded)."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            pids.append(int(d.name))
    return pids


def _job_processes(pgid: int) -> list[int]:
    """A worker's job processes that are running a job (named ``canvas-job-ID``; not a warm one still waiting,
    not its resource tracker)."""
    out = []
    for pid in _group(pgid):
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes() and _comm(pid).startswith("canvas-job"):
                out.append(pid)
        except OSError:
            continue
    return out


def storm(kills: int, storm_limit: float = 200.0, drain_limit: float = 90.0) -> dict:
    import sqlalchemy as sa

    from automl_canvas.db import session_scope
    from automl_canvas.models import Job

    url, drop = _pg_database()
    world = World(url, AUTOML_CANVAS_JOB_LEASE_SECONDS="3", AUTOML_CANVAS_JOB_HEARTBEAT_SECONDS="0.5",
                  AUTOML_CANVAS_JOB_POLL_SECONDS="0.1", AUTOML_CANVAS_N_JOBS="1",
                  AUTOML_CANVAS_WEBHOOK_POLL_SECONDS="0", AUTOML_CANVAS_MONITORING_INTERVAL_SECONDS="0")
    load_before = loadavg()
    rng = random.Random(18)
    parents: list[int] = []
    killed_groups: list[int] = []
    done = {"worker": 0, "child": 0}
    try:
        workers = [world.start("worker") for _ in range(3)]

        def feed():
            with session_scope(world.engine) as s:
                waiting = s.execute(sa.select(sa.func.count()).select_from(Job).where(Job.status == "queued")).scalar_one()
            for _ in range(max(0, 6 - waiting)):
                parents.append(world.enqueue(seconds=rng.uniform(0.5, 3), follow_up=True, max_attempts=20, time_limit=120))

        started = time.monotonic()
        while sum(done.values()) < kills and time.monotonic() - started < storm_limit:
            feed()
            time.sleep(rng.uniform(0.5, 1.5))
            # Only kills that hit work count: a worker with a job process (mid-job), or that job process.
            busy = [(i, kids) for i in range(3) if (kids := _job_processes(workers[i].pid))]
            if not busy:
                continue
            i, children = rng.choice(busy)
            if rng.random() < 0.5:
                os.kill(rng.choice(children), signal.SIGKILL)
                done["child"] += 1
            elif workers[i].poll() is None:
                os.kill(workers[i].pid, signal.SIGKILL)  # the worker only: its child must die with it
                workers[i].wait(10)
                killed_groups.append(workers[i].pid)
                done["worker"] += 1
                workers[i] = world.start("worker")
        storm_s = time.monotonic() - started
        drain_start = time.monotonic()
        while time.monotonic() - drain_start < drain_limit:
            with session_scope(world.engine) as s:
                open_jobs = s.execute(sa.select(sa.func.count()).select_from(Job)
                                      .where(Job.status.in_(["queued", "running"]))).scalar_one()
            if open_jobs == 0:
                break
            time.sleep(0.5)
        drain_s = time.monotonic() - drain_start
        for w in workers:  # the end: every worker killed hard, its child must follow it
            os.kill(w.pid, signal.SIGKILL)
            w.wait(10)
            killed_groups.append(w.pid)
        time.sleep(5)  # the bound the orphan count is taken at (children exit within a second)
        orphans = sum(len(_group(g)) for g in killed_groups)
        with session_scope(world.engine) as s:
            rows = {j.id: j for j in s.execute(sa.select(Job)).scalars()}
        follow_ups: dict[int, list[int]] = {}
        for j in rows.values():
            if (parent := (j.payload or {}).get("follow_up_of")) is not None:
                follow_ups.setdefault(parent, []).append(j.id)
        lost = [j.id for j in rows.values() if j.status in ("queued", "running") or (j.status == "failed" and not j.error)]
        twice = [p for p, kids in follow_ups.items() if len(kids) > 1]
        half = [p for p in parents if rows[p].status == "succeeded"
                and follow_ups.get(p) != [(rows[p].result or {}).get("follow_up_job_id")]]
        half += [p for p in follow_ups if rows[p].status != "succeeded"]
        statuses: dict[str, int] = {}
        for p in parents:
            statuses[rows[p].status] = statuses.get(rows[p].status, 0) + 1
        reasons: dict[str, int] = {}
        for p in parents:
            if rows[p].status == "failed":
                reasons[rows[p].error.get("code", "?")] = reasons.get(rows[p].error.get("code", "?"), 0) + 1
        return {"database": "postgresql", "workers": 3, "kills": sum(done.values()), "worker_kills": done["worker"],
                "child_kills": done["child"], "storm_seconds": round(storm_s, 1), "drain_seconds": round(drain_s, 1),
                "jobs": len(parents), "follow_up_jobs": sum(len(k) for k in follow_ups.values()),
                "job_outcomes": statuses, "failure_reasons": reasons, "lost_jobs": len(lost),
                "jobs_with_two_results": len(twice), "orphan_processes": orphans, "half_written_rows": len(half),
                "attempts_max": max(j.attempts for j in rows.values()), "load_before": load_before, "load_after": loadavg()}
    finally:
        world.close()
        drop()


def _md(results: dict) -> list[str]:
    lines = header_lines("Jobs: pickup, child start-up, the short lane, a kill storm (issue 18)", {
        "Script": "`benchmarks/jobs.py`", "Database": "SQLite file; PostgreSQL on 127.0.0.1 (same machine)",
        "Load average (1 min) at start": results["load_start"],
        **({"Parts rerun on this date (the others kept from the first run)": ", ".join(results["reran"])}
           if results.get("reran") else {})})
    for p in results.get("pickup", []):
        mode = p.get("mode", "cold")
        lines += [f"## Pickup with an idle worker ({p['database']}, {mode})", "",
                  f"Default settings (poll 0.2 s); {PICKUP_MODES[mode]}; one job per process. Seconds.", "",
                  "| measure | n | p50 | p95 | max |", "|---|---|---|---|---|"]
        for key, label in (("pickup_s", "pickup (commit -> handler running, child ready included)"),
                           ("claim_s", "claim (commit -> claimed)"), ("child_startup_s", "child start-up (claim -> ready)"),
                           ("wait_for_idle_warm_s", "wait for the next warm process (previous job done -> it is idle)")):
            if (v := p.get(key)) is not None:
                lines.append(f"| {label} | {v['n']} | {v['p50']} | {v['p95']} | {v['max']} |")
        if w := p.get("idle_warm_process"):
            lines += ["", f"A waiting warm process: {w['rss_mb']} MB resident, {w['cpu_seconds_in_10s_idle']} s of CPU "
                      "in 10 s idle."]
        lines += ["", f"Load average before/after: {p['load_before']} / {p['load_after']}.", ""]
    for entry in results.get("lane", []):
        title = "default `up` (1 general worker + short lane)" if entry["short_lane"] else "control: `up --no-short-lane`"
        lines += [f"## Evidence job behind a running long job: {title}", ""]
        if entry.get("start_delay_s"):
            v = entry["start_delay_s"]
            lines.append(f"Start delay (commit -> claimed), n={v['n']}: p50 {v['p50']} s, **p95 {v['p95']} s**, "
                         f"max {v['max']} s (target: within 5 s).")
        if entry.get("evidence_jobs_still_queued_after_10s") is not None:
            lines.append(f"Evidence jobs still queued 10 s after being queued: {entry['evidence_jobs_still_queued_after_10s']}.")
        lines += ["", f"Load average before/after: {entry['load_before']} / {entry['load_after']}.", ""]
    if s := results.get("storm"):
        lines += ["## Kill storm (PostgreSQL, 3 workers)", "",
                  (f"{s['kills']} SIGKILLs ({s['worker_kills']} workers, restarted at once; {s['child_kills']} job processes) "
                   f"over {s['storm_seconds']} s; drained in {s['drain_seconds']} s. {s['jobs']} diagnostic jobs (each queues a "
                   f"follow-up and finishes in one fenced commit), {s['follow_up_jobs']} follow-ups; outcomes {s['job_outcomes']}, "
                   f"failure reasons {s['failure_reasons']} (a killed job process fails its job with the reason; a killed "
                   f"worker's job is reclaimed), most attempts {s['attempts_max']}."), "",
                  "| lost jobs | jobs with two results | orphan processes | half-written rows |", "|---|---|---|---|",
                  f"| {s['lost_jobs']} | {s['jobs_with_two_results']} | {s['orphan_processes']} | {s['half_written_rows']} |", "",
                  f"Load average before/after: {s['load_before']} / {s['load_after']}.", ""]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="pickup,lane,storm")
    ap.add_argument("--jobs", type=int, default=15)
    ap.add_argument("--pickup-modes", default=",".join(PICKUP_MODES),
                    help=f"Pickup series to run, each on SQLite and PostgreSQL: {', '.join(PICKUP_MODES)}.")
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--note", default=None, help="What else ran on the machine.")
    ap.add_argument("--merge", action="store_true", help="Keep the other parts of today's results file (rerun some parts).")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    stem = RESULTS / f"jobs-{today()}"
    results: dict = {"date": now_iso(), "machine": machine_info(), "load_start": loadavg(), "note": args.note}
    if args.merge and stem.with_suffix(".json").exists():
        kept = json.loads(stem.with_suffix(".json").read_text())
        results = {**{k: v for k, v in kept.items() if k in ("pickup", "lane", "storm")}, **results,
                   "note": args.note or kept.get("note"), "reran": sorted(parts)}
    if "pickup" in parts:
        modes = args.pickup_modes.split(",")
        results["pickup"] = [pickup(None, args.jobs, mode) for mode in modes]
        url, drop = _pg_database()
        try:
            results["pickup"] += [pickup(url, args.jobs, mode) for mode in modes]
        finally:
            drop()
    if "lane" in parts:
        results["lane"] = [lane(5, short_lane=True), lane(1, short_lane=False)]
    if "storm" in parts:
        results["storm"] = storm(args.kills)
    results["load_end"] = loadavg()
    lines = _md(results)
    if args.note:
        lines += [f"Note on this run: {args.note}", ""]
    dump_json(stem.with_suffix(".json"), results)
    stem.with_suffix(".md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
