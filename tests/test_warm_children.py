"""Warm job processes (runner/warm.py): imported before the claim, one job each, no CPU while they wait.

Real ``automl-canvas worker`` processes on the test's database and real signals.  A worker's processes are
found in its process group (each worker starts a session of its own); a job process says where it is in its
name (``/proc/PID/comm``): ``canvas-warming``, ``canvas-idle`` (imported, waiting), ``canvas-job-ID``.
Each step waits on an event (a process's name, a job row's state), never on a timer race.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from automl_canvas.db import session_scope
from automl_canvas.jobs import queue
from automl_canvas.threads import WAIT_POLICY

from .conftest import REPO
from .helpers import job, process_alive, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("processes")]

#: In spawned job processes only: note the thread variables at the moment numpy is first imported.
SITECUSTOMIZE = '''
import json, os, sys
if sys.argv[-1:] == ["--multiprocessing-fork"] and os.environ.get("CANVAS_TEST_THREADS_MARK"):
    class _Note:
        def find_spec(self, name, path=None, target=None):
            if name == "numpy":
                sys.meta_path.remove(self)
                with open(os.environ["CANVAS_TEST_THREADS_MARK"] + "." + str(os.getpid()), "w") as f:
                    json.dump({k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "GOMP_SPINCOUNT")}, f)
            return None
    sys.meta_path.insert(0, _Note())
'''


def _enqueue(engine, user, **payload) -> int:
    with session_scope(engine) as s:
        return queue.enqueue(s, kind="diagnostic", payload=payload, created_by_id=user.id, time_limit_seconds=120).id


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _group(pgid: int) -> list[int]:
    """Live processes of process group ``pgid``."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                pids.append(int(d.name))
    return pids


def _named(pgid: int, name: str) -> list[int]:
    return [p for p in _group(pgid) if _comm(p) == name]


def _idle_warm(worker, other_than: int | None = None) -> int:
    """The worker's warm job process once it has imported and waits (other than ``other_than``)."""
    return wait_for(lambda: next((p for p in _named(worker.pid, "canvas-idle") if p != other_than), None), timeout=120)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def worker(settings, tmp_path):
    """Start ``automl-canvas worker`` (its own process group, a sitecustomize on its path); killed at the end."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    procs: list[subprocess.Popen] = []

    def start(**extra_env) -> subprocess.Popen:
        # without the thread variables tests/__init__.py sets: the worker's job processes must set them themselves
        inherited = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", *WAIT_POLICY)}
        env = {**inherited, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]),
               "AUTOML_CANVAS_HOME": str(settings.home), "AUTOML_CANVAS_DATABASE_URL": settings.database_url,
               "AUTOML_CANVAS_JOB_LEASE_SECONDS": "10", "AUTOML_CANVAS_JOB_HEARTBEAT_SECONDS": "0.5",
               "AUTOML_CANVAS_JOB_POLL_SECONDS": "0.1", "AUTOML_CANVAS_N_JOBS": "1",
               "AUTOML_CANVAS_WEBHOOK_POLL_SECONDS": "0", "AUTOML_CANVAS_MONITORING_INTERVAL_SECONDS": "0", **extra_env}
        log = (tmp_path / f"worker-{len(procs)}.log").open("w")
        p = subprocess.Popen([sys.executable, "-m", "automl_canvas.cli", "worker"], env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


def test_an_idle_worker_waits_with_an_imported_process_that_runs_one_job(settings, engine, analyst, worker, tmp_path):
    """Before any job: a process with the heavy stack loaded, using no CPU. A job then runs in it at once; the
    process ends with its job (nothing carried to the next), and the next job runs in the next warm process."""
    w = worker(CANVAS_TEST_THREADS_MARK=str(tmp_path / "threads"))
    first = _idle_warm(w)
    maps = Path(f"/proc/{first}/maps").read_text()
    assert "pandas/_libs" in maps and "sklearn" in maps and "lib_lightgbm" in maps  # imported before the claim
    # the thread policy was in place when numpy (and then OpenMP) loaded: they read it only then
    assert json.loads((tmp_path / f"threads.{first}").read_text()) == {"OMP_NUM_THREADS": "1", **WAIT_POLICY}
    cpu = _cpu_seconds(first)
    time.sleep(2.0)  # the observation: what a waiting process costs over two seconds
    assert _cpu_seconds(first) - cpu <= 0.05

    one_id = _enqueue(engine, analyst, seconds=0)
    one = wait_for(lambda: (j := job(engine, one_id)).is_terminal and j, timeout=60)
    assert one.status == "succeeded", one.error
    assert one.result["pid"] == first and one.result["omp_num_threads"] == "1"
    wait_for(lambda: not process_alive(first), timeout=15)  # one job per process

    second = _idle_warm(w, other_than=first)  # started after the hand-off
    two = _enqueue(engine, analyst, seconds=0)
    done = wait_for(lambda: (j := job(engine, two)).is_terminal and j, timeout=60)
    assert done.status == "succeeded" and done.result["pid"] == second

    os.kill(w.pid, signal.SIGTERM)  # an idle worker stops at once and leaves no process behind
    assert w.wait(30) == 0
    wait_for(lambda: not _group(w.pid), timeout=10)  # (multiprocessing's resource tracker ends on its own)


def test_a_warm_process_that_dies_while_waiting_is_replaced_and_dies_with_its_worker(settings, engine, analyst, worker):
    w = worker()
    first = _idle_warm(w)
    os.kill(first, signal.SIGKILL)  # an operator, or the out-of-memory killer
    second = _idle_warm(w, other_than=first)
    job_id = _enqueue(engine, analyst, seconds=0)
    done = wait_for(lambda: (j := job(engine, job_id)).is_terminal and j, timeout=60)
    assert done.status == "succeeded" and done.result["pid"] == second, done.error
    third = _idle_warm(w, other_than=second)
    w.kill()  # SIGKILL to the worker alone: its waiting process must not outlive it
    w.wait(10)
    wait_for(lambda: not process_alive(third), timeout=10)


def test_a_slow_starting_warm_process_is_timed_from_when_it_is_ready(settings, engine, analyst, worker, tmp_path):
    """The hard limit counts from ready: a job queued while its warm process is still importing is not charged for it."""
    site = tmp_path / "site"
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE + '''
import time
if sys.argv[-1:] == ["--multiprocessing-fork"]:
    time.sleep(4)
''')
    with session_scope(engine) as s:
        job_id = queue.enqueue(s, kind="diagnostic", payload={"seconds": 1}, created_by_id=analyst.id,
                               time_limit_seconds=2.0).id
    worker(AUTOML_CANVAS_JOB_WRAP_UP_GRACE_SECONDS="0.5")
    done = wait_for(lambda: (j := job(engine, job_id)).is_terminal and j, timeout=90)
    assert done.status == "succeeded", done.error


def test_with_warm_processes_off_nothing_waits(settings, engine, analyst, worker):
    w = worker(AUTOML_CANVAS_JOB_WARM_CHILDREN="false")
    job_id = _enqueue(engine, analyst, seconds=0)
    done = wait_for(lambda: (j := job(engine, job_id)).is_terminal and j, timeout=90)
    assert done.status == "succeeded", done.error
    wait_for(lambda: not process_alive(done.result["pid"]), timeout=15)  # the job's own process ends with its job
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:  # the observation: no job process is started ahead of a job
        assert not [p for p in _group(w.pid) if _comm(p).startswith("canvas-")]
        time.sleep(0.2)
