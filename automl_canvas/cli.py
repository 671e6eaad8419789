"""`automl-canvas`: the command line door. Parses, calls one service, prints.

Expected errors print one plain line and exit with status 2; no tracebacks.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from functools import wraps
from pathlib import Path

import click

from .config import get_settings
from .errors import CanvasError

__all__ = ["main"]


class _State:
    def __init__(self, username: str):
        self.settings = get_settings()
        self.username = username
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            from .db import make_engine

            self._engine = make_engine(self.settings)
        return self._engine

    def actor(self):
        from .auth.users import get_user
        from .db import session_scope

        with session_scope(self.engine) as s:
            return get_user(s, self.username)


def _friendly(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CanvasError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(2)

    return wrapper


@click.group()
@click.option("--user", envvar="AUTOML_CANVAS_USER", default="local", show_default=True, help="Act as this user.")
@click.pass_context
def main(ctx: click.Context, user: str) -> None:
    """AutoML Canvas: guided model development on your own machine."""
    ctx.obj = _State(user)


@main.command()
@click.pass_obj
@_friendly
def init(state: _State) -> None:
    """Create or upgrade the database schema and the local user."""
    from .auth.users import LOCAL_USER, ensure_user
    from .db import init_db, session_scope

    state.settings.ensure_dirs()
    rev = init_db(state.engine)
    from .auth.bootstrap import ensure_admin

    with session_scope(state.engine) as s:
        ensure_user(s, LOCAL_USER, ("analyst", "scientist"), "Local user")
        admin_password = ensure_admin(s, state.settings)
    click.echo(f"database ready (schema {rev}) at {_safe_url(state.settings.database_url)}")
    if admin_password:
        click.echo(f"created the admin account 'admin'; its password (shown once): {admin_password}")
    click.echo(f"artifacts in {state.settings.artifact_dir}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command()
@click.option("--workers", type=int, default=None, help="Worker processes (default: settings).")
@click.option("--demo", is_flag=True, help="Also create one demo user per role and a sample project.")
@click.option("--no-api", is_flag=True, help="Do not serve the approval API.")
@click.option("--no-apps", is_flag=True, help="Do not start the analyst and scientist apps.")
@click.option("--short-lane/--no-short-lane", default=True, show_default=True,
              help="Also run one single-threaded worker for short jobs (evidence, reproduce, monitor) only.")
@click.pass_obj
@_friendly
def up(state: _State, workers: int | None, demo: bool, no_api: bool, no_apps: bool, short_lane: bool) -> None:
    """Initialise, then run the workers, the API and the apps until Ctrl-C."""
    import multiprocessing as mp

    from .cli_serve import api_process, start_apps

    state.settings.ensure_dirs()
    click.get_current_context().invoke(init)
    if demo:
        _seed_demo(state)
    n = workers or state.settings.workers
    procs = [mp.get_context("spawn").Process(target=_worker_process, name=f"canvas-worker-{i}") for i in range(n)]
    if short_lane:  # short jobs never wait behind a long one (jobs/lanes.py)
        procs.append(mp.get_context("spawn").Process(target=_worker_process, args=(True,), name="canvas-worker-short"))
    if not no_api:
        procs.append(api_process())
    for p in procs:
        p.start()
    apps = [] if no_apps else start_apps(state.settings)
    lane = " and a short-job lane" if short_lane else ""
    click.echo(f"AutoML Canvas is up: {n} worker(s){lane} waiting for jobs. Train with: automl-canvas train FILE --target COLUMN")
    if not no_api:
        click.echo(f"approval API on http://{state.settings.api_host}:{state.settings.api_port} (docs at /docs)")
    for cmd in (a.args for a in apps):
        click.echo(f"app {Path(cmd[4]).parent.name} on http://127.0.0.1:{cmd[6]}")
    click.echo("Press Ctrl-C to stop.")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set() and any(p.is_alive() for p in procs):
        stop.wait(1)
    for p in procs:
        p.terminate()
    for a in apps:
        a.terminate()
    for p in procs:
        p.join(10)
    for a in apps:
        a.wait(10)
    click.echo("stopped")


def _seed_demo(state: _State) -> None:
    from .auth.bootstrap import seed_demo_users
    from .auth.users import get_user
    from .db import session_scope
    from sqlmodel import select

    from .models import Project, ProjectCreate
    from .projects import create_project

    with session_scope(state.engine) as s:
        created = seed_demo_users(s, state.settings)
        if s.exec(select(Project).where(Project.name == "Customer churn")).first() is None:
            create_project(s, get_user(s, "ana"), ProjectCreate(
                name="Customer churn", question="Which customers will cancel in the next month?",
                decision="Who gets a retention call", success_criterion="Catch most churners among the customers we call"))
    for name, password in created.items():
        click.echo(f"demo user {name}: password (shown once) {password}")


def _short_lane_worker(settings, engine=None):
    """The short lane's worker (jobs/lanes.py): short kinds only, single-threaded, lower CPU priority."""
    from .jobs.lanes import SHORT_KINDS, lower_priority, short_lane_settings
    from .jobs.worker import Worker

    lower_priority()
    return Worker(short_lane_settings(settings), engine=engine, kinds=list(SHORT_KINDS), lane="short", services=False)


def _worker_process(short_lane: bool = False) -> None:
    import logging

    from .jobs.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker = _short_lane_worker(get_settings()) if short_lane else Worker(get_settings())
    worker.install_stop_signals()  # SIGTERM/SIGINT hand the job back; a second one exits at once
    worker.run()


@main.command()
@click.option("--once", is_flag=True, help="Run at most one queued job, then exit (at once when none is queued).")
@click.option("--idle-exit", type=float, default=None, help="Exit after this many idle seconds.")
@click.option("--ray", "ray_address", default=None, metavar="ADDRESS",
              help="Run training searches' trials on this Ray cluster (host:port, 'auto' or 'local'); "
              "default: AUTOML_CANVAS_RAY_ADDRESS.")
@click.option("--kinds", default=None, metavar="KIND[,KIND...]",
              help="Claim only jobs of these kinds ('short' stands for evidence,reproduce,monitor); default: every kind.")
@click.option("--short-lane", is_flag=True,
              help="Be the short-job lane: short kinds only, single-threaded, lower CPU priority, no webhook/monitoring threads.")
@click.pass_obj
@_friendly
def worker(state: _State, once: bool, idle_exit: float | None, ray_address: str | None, kinds: str | None,
           short_lane: bool) -> None:
    """Claim and run jobs from the queue."""
    import logging

    from .jobs.lanes import parse_kinds
    from .jobs.worker import Worker

    if ray_address:
        state.settings = state.settings.model_copy(update={"ray_address": ray_address})

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if short_lane:
        w = _short_lane_worker(state.settings, engine=state.engine)
    else:
        w = Worker(state.settings, engine=state.engine, kinds=parse_kinds(kinds))
    w.install_stop_signals()  # SIGTERM/SIGINT hand the job back; a second one exits at once
    ran = w.run(once=once, idle_exit_seconds=idle_exit)
    click.echo(f"worker {w.worker_id} stopped after {ran} job(s)", err=True)


def _keep_pairs(values) -> dict[str, str]:
    """``--keep COL=REASON`` values as {column: reason}; a missing reason is refused (the reviewer reads it)."""
    out: dict[str, str] = {}
    for value in values:
        col, sep, reason = value.partition("=")
        if not sep or not col.strip() or not reason.strip():
            raise click.BadParameter(f"'{value}' needs a column and a reason: write --keep COL=REASON, for example "
                                     "--keep refund_issued=\"known when the order is placed\".", param_hint="--keep")
        out[col.strip()] = reason.strip()
    return out


def _project_id(state: _State, actor, name: str) -> int:
    from .db import session_scope
    from .projects import get_or_create_project

    with session_scope(state.engine) as s:
        return get_or_create_project(s, actor, name).id


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--project", default="default", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@_friendly
def ingest(state: _State, file: Path, project: str, as_json: bool) -> None:
    """Upload a CSV, Excel or Parquet file and print its readiness report."""
    from .datasets.service import ingest_file

    if not file.exists():
        raise CanvasError(f"The file {file} does not exist.")
    actor = state.actor()
    ds = ingest_file(state.engine, state.settings, actor, _project_id(state, actor, project), file)
    if as_json:
        click.echo(json.dumps({"dataset_id": ds.id, "sha256": ds.sha256, "rows": ds.n_rows, "columns": ds.n_columns, "findings": ds.profile.get("findings", [])}))
        return
    click.echo(f"dataset {ds.id}: {ds.name} — {ds.n_rows} rows × {ds.n_columns} columns (sha256 {ds.sha256[:12]}…)")
    for f in ds.profile.get("findings", []):
        click.echo(f"  [{f['severity']}] {f['message']} {f.get('fix', '')}")


def _dataset_id(state: _State, actor, source: str, project_id: int) -> int:
    """An existing dataset id, or a file ingested into the project first."""
    from .datasets.service import ingest_file

    if source.isdigit() and not Path(source).exists():
        return int(source)
    path = Path(source)
    if not path.exists():
        raise CanvasError(f"The file {source} does not exist (and it is not a dataset id).")
    return ingest_file(state.engine, state.settings, actor, project_id, path).id


def _wait_for(state: _State, job_id: int, quiet: bool, local_worker: bool):
    from .db import session_scope
    from .jobs.queue import get_job

    worker = None
    if local_worker:
        from .jobs.worker import Worker

        worker = Worker(state.settings)
        threading.Thread(target=worker.run, daemon=True).start()
    try:
        while True:
            with session_scope(state.engine) as s:
                job = get_job(s, job_id)
                if job.status == "queued":
                    from .jobs.position import queue_position

                    job = job.model_copy(update={"queue": queue_position(s, job)})
            if not quiet:
                _draw_progress(job)
            if job.is_terminal:
                if not quiet:
                    click.echo("", err=True)
                return job
            time.sleep(0.5)
    except KeyboardInterrupt:
        from .jobs.queue import request_cancel

        with session_scope(state.engine) as s:
            request_cancel(s, job_id)
        click.echo(f"\ncancel requested for job {job_id}", err=True)
        sys.exit(130)
    finally:
        if worker is not None:
            worker.stop.set()


def _wait_succeeded(state: _State, job_id: int, what: str, quiet: bool, local_worker: bool = True):
    """Wait for a job; a failed or cancelled one becomes one clear error line."""
    job = _wait_for(state, job_id, quiet=quiet, local_worker=local_worker)
    if job.status != "succeeded":
        raise CanvasError(f"{what} job {job.id} {job.status}: {(job.error or {}).get('message', '')}")
    return job


def _draw_progress(job) -> None:
    p = job.progress or {}
    budget = p.get("budget_seconds")
    done = p.get("search_elapsed_seconds") or 0
    bar = ""
    if budget:
        filled = int(20 * min(1.0, done / budget))
        bar = "[" + "#" * filled + "." * (20 - filled) + "] "
    best = p.get("best_score")
    parts = [f"job {job.id}", job.status, p.get("stage", ""), bar]
    if p.get("trials_done") is not None:
        parts.append(f"trials {p['trials_done']}")
    if best is not None:
        parts.append(f"best {best:.4f}")
    if p.get("remaining_seconds") is not None:
        parts.append(f"~{p['remaining_seconds']:.0f}s left")
    if str(job.status) == "queued" and getattr(job, "queue", None):
        parts.append(job.queue["message"])  # "2 jobs ahead of yours, about 3 minutes."
    click.echo("\r" + "  ".join(x for x in parts if x).ljust(110), nl=False, err=True)


@main.command()
@click.argument("source")
@click.option("--target", required=True)
@click.option("--budget", default="quick", show_default=True, help="quick, standard or seconds of search.")
@click.option("--task", type=click.Choice(["binary", "multiclass", "regression"]), default=None)
@click.option("--metric", default=None)
@click.option("--exclude", multiple=True)
@click.option("--keep", multiple=True, metavar="COL=REASON", callback=lambda ctx, param, values: _keep_pairs(values),
              help="Put back a column the product leaves out (ID-like, suspected leak), with the reason the reviewer sees.")
@click.option("--sensitive", multiple=True)
@click.option("--favourable", default=None, metavar="VALUE",
              help="The target value that is good for the person (e.g. approved): the four-fifths rule compares its rates.")
@click.option("--seed", type=int, default=None)
@click.option("--project", default="default", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the outcome.")
@click.option("--wait/--no-wait", default=True, show_default=True)
@click.option("--local-worker/--no-local-worker", default=True, show_default=True, help="Run a worker in this process while waiting.")
@click.pass_obj
@_friendly
def train(state: _State, source: str, target: str, budget: str, task, metric, exclude, sensitive, favourable, seed, project, as_json,
          wait, local_worker, keep) -> None:
    """Train a model on FILE (ingested first) or on an existing dataset id."""
    from .training.service import submit_training
    from .training.spec import TrainingRequest

    actor = state.actor()
    dataset_id = _dataset_id(state, actor, source, _project_id(state, actor, project))
    request = TrainingRequest(
        target=target, task=task, metric=metric, budget=budget, excluded_columns=list(exclude), sensitive_columns=list(sensitive), seed=seed,
        favourable_outcome=favourable, keep_columns=keep,
    )
    job = submit_training(state.engine, state.settings, actor, dataset_id, request)
    if not wait:
        click.echo(json.dumps({"job_id": job.id}) if as_json else f"queued job {job.id}")
        return
    job = _wait_succeeded(state, job.id, "training", quiet=as_json, local_worker=local_worker)
    r = dict(job.result)
    if r.get("evidence_job_id") and local_worker:
        # Explanations, fairness and performance detail follow the training job.
        ev = _wait_for(state, r["evidence_job_id"], quiet=as_json, local_worker=True)
        r["evidence_status"] = ev.status
        if ev.status != "succeeded" and not as_json:
            click.echo(f"warning: the evidence job {ev.id} {ev.status}: {(ev.error or {}).get('message', '')}", err=True)
    if as_json:
        click.echo(json.dumps({"job_id": job.id, "dataset_id": dataset_id, **r}))
        return
    click.echo(
        f"model version {r['version_id']} ({r['best_learner']}): holdout {r['metric']} {r['holdout_score']:.4f} "
        f"vs baseline {r['baseline_score']:.4f} and default model {r['default_model_score']:.4f}"
    )


@main.command()
@click.pass_obj
def health(state: _State) -> None:
    """Check the database answers, its schema is current and artifacts are writable (exit 1 if not)."""
    import tempfile

    from .db import schema_status

    problems = []
    try:
        current, head = schema_status(state.engine)
        if current != head:
            problems.append(f"database schema is at '{current or 'empty'}', newest is '{head}': run `automl-canvas init`")
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is the answer
        problems.append(f"database not reachable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    try:
        state.settings.ensure_dirs()
        with tempfile.NamedTemporaryFile(dir=state.settings.artifact_dir / "tmp"):
            pass
    except OSError as exc:
        problems.append(f"artifact directory {state.settings.artifact_dir} is not writable: {exc.strerror}")
    for p in problems:
        click.echo(f"unhealthy: {p}", err=True)
    if problems:
        sys.exit(1)
    click.echo("ok")


def _age(seconds) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.0f}s" if seconds < 120 else (f"{seconds / 60:.0f}m" if seconds < 7200 else f"{seconds / 3600:.1f}h")


def _echo_queue(view: dict) -> None:
    """The admin queue view: running jobs (worker, ages), then queued jobs in the order workers will claim them."""
    click.echo(f"running ({len(view['running'])}):")
    for r in view["running"]:
        click.echo(f"{r['id']:>5}  {r['kind']:<11} {r['worker'] or '-':<40} age {_age(r['age_seconds']):>5}  "
                   f"beat {_age(r['heartbeat_age_seconds']):>4} ago  attempt {r['attempt']}  {r['stage']}")
    click.echo(f"queued ({len(view['queued'])}):")
    for q in view["queued"]:
        click.echo(f"{q['id']:>5}  {q['kind']:<11} #{q['position']:<3} waiting {_age(q['waiting_seconds']):>5}  "
                   f"priority {q['priority']}  {q['message']}")


@main.command()
@click.option("--status", default=None)
@click.option("--all", "show_all", is_flag=True, help="Admins: the whole queue, running jobs with their workers and ages, "
              "queued jobs with their position.")
@click.option("--json", "as_json", is_flag=True, help="With --all: print the queue view as JSON.")
@click.pass_obj
@_friendly
def jobs(state: _State, status: str | None, show_all: bool, as_json: bool) -> None:
    """List recent jobs."""
    from .db import session_scope
    from .jobs.service import list_jobs_for, queue_overview_for

    actor = state.actor()
    with session_scope(state.engine) as s:
        if show_all:
            view = queue_overview_for(s, actor)
            click.echo(json.dumps(view, indent=2)) if as_json else _echo_queue(view)
            return
        for j in list_jobs_for(s, actor, status=status):
            err = j.error.get("message", "") if j.error else ""
            click.echo(f"{j.id:>5}  {j.kind:<10} {j.status:<10} {j.progress.get('stage', ''):<28} {err}")


@main.command()
@click.argument("job_id", type=int)
@click.pass_obj
@_friendly
def cancel(state: _State, job_id: int) -> None:
    """Cancel a queued or running job."""
    from .db import session_scope
    from .jobs.service import cancel_job

    actor = state.actor()
    with session_scope(state.engine) as s:
        job = cancel_job(s, actor, job_id)
    click.echo(f"job {job_id}: cancel requested ({job.status})")


@main.command()
@click.option("--project", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@_friendly
def models(state: _State, project: str | None, as_json: bool) -> None:
    """List model versions."""
    from .db import session_scope
    from .registry.service import list_versions

    actor = state.actor()
    pid = _project_id(state, actor, project) if project else None
    with session_scope(state.engine) as s:
        versions = list_versions(s, actor, project_id=pid)
    if as_json:
        click.echo(json.dumps([v.model_dump(mode="json", exclude={"leaderboard", "feature_schema"}) for v in versions]))
        return
    for v in versions:
        click.echo(f"{v.id:>5}  v{v.version:<3} {v.task:<10} {v.target:<20} {v.metric} {v.holdout_score:.4f}  {v.best_learner:<14} {v.status}  {v.artifact_sha256[:12]}")


@main.command("cutoff")
@click.argument("version_id", type=int)
@click.option("--mode", type=click.Choice(["balance", "recall", "top_share", "cost"]), default=None,
              help="balance the two mistakes; catch at least N in 100 'yes' cases (recall); flag the riskiest N % "
                   "(top_share); least cost from the project's business inputs (cost). Without it: show the current one.")
@click.option("--value", type=float, default=None, help="N for recall and top_share.")
@click.option("--preview", is_flag=True, help="Show what the choice would do without saving it.")
@click.pass_obj
@_friendly
def cutoff(state: _State, version_id: int, mode: str | None, value: float | None, preview: bool) -> None:
    """Show or choose a yes/no model's operating point (the cut-off every prediction uses)."""
    from .db import session_scope
    from .registry.operating_point import preview_operating_point, set_operating_point
    from .registry.service import get_version

    actor = state.actor()
    with session_scope(state.engine) as s:
        if mode is None:
            point = get_version(s, actor, version_id).operating_point
        elif preview:
            point = preview_operating_point(s, actor, version_id, mode, value)
        else:
            point = set_operating_point(s, actor, version_id, mode, value).operating_point
    click.echo(point["sentence"] if point else f"Version {version_id} is not a yes/no model: it has no cut-off.")


@main.command()
@click.argument("version_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write: .parquet, .xlsx, or CSV for any other name.")
@click.option("--raw", is_flag=True, help="CSV/Excel: keep text cells that start with =, +, -, @ as they are "
              "(by default they get a leading ' so a spreadsheet does not run them as formulas).")
@click.pass_obj
@_friendly
def predict(state: _State, version_id: int, file: Path, output: Path, raw: bool) -> None:
    """Score FILE with a model version and write it back with prediction columns."""
    from .exports import write_table
    from .registry.service import predict_file

    if not file.exists():
        raise CanvasError(f"The file {file} does not exist.")
    out = predict_file(state.engine, state.settings, state.actor(), version_id, file)
    write_table(out, output, raw=raw)
    click.echo(f"wrote {len(out)} predictions to {output}")


@main.command()
@click.argument("version_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@_friendly
def reproduce(state: _State, version_id: int, as_json: bool) -> None:
    """Refit a version from its recipe and report the holdout metric difference."""
    from .registry.service import reproduce_version

    r = reproduce_version(state.engine, state.settings, state.actor(), version_id)
    if as_json:
        click.echo(json.dumps(r))
        return
    click.echo(
        f"version {version_id}: recorded {r['metric']} {r['recorded_holdout_score']:.6f}, "
        f"reproduced {r['reproduced_holdout_score']:.6f} (difference {r['difference']:+.2e})"
    )


@main.command()
@click.argument("version_id", type=int)
@click.option("--candidate", type=int, default=0, help="Leaderboard rank to explain instead of the version's model.")
@click.option("--compute", is_flag=True, help="Queue the evidence job (and wait, with a local worker).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@_friendly
def evidence(state: _State, version_id: int, candidate: int, compute: bool, as_json: bool) -> None:
    """Show (or compute) a version's performance detail, SHAP explanations and fairness report."""
    from .db import session_scope
    from .evidence.service import list_evidence, submit_evidence

    actor = state.actor()
    if compute or candidate:
        job = submit_evidence(state.engine, state.settings, actor, version_id, candidate=candidate)
        _wait_succeeded(state, job.id, "evidence", quiet=as_json)
    with session_scope(state.engine) as s:
        rows = [e for e in list_evidence(s, actor, version_id) if e.candidate == candidate]
    if as_json:
        click.echo(json.dumps([{"kind": e.kind, "candidate": e.candidate, "summary": e.summary, "files": e.files} for e in rows]))
        return
    if not rows:
        click.echo(f"no evidence for version {version_id} yet: run `automl-canvas evidence {version_id} --compute`")
    for e in rows:
        click.echo(f"[{e.kind}]")
        if e.kind == "explanations":
            for f in e.summary.get("top_features", []):
                click.echo(f"  {f['column']}: mean |SHAP| {f['mean_abs_shap']:.4f}")
        elif e.kind == "fairness":
            for f in e.summary.get("findings", []):
                click.echo(f"  [{f.get('severity')}] {f.get('message')}")
        else:
            click.echo("  holdout: " + ", ".join(f"{k} {v:.4f}" for k, v in e.summary.get("holdout_metrics", {}).items()))


@main.command()
@click.argument("version_id", type=int)
@click.option("--sensitive", required=True, help="The sensitive column whose groups get their own thresholds.")
@click.option("--constraint", type=click.Choice(["demographic_parity", "equalized_odds"]), default="demographic_parity", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@_friendly
def mitigate(state: _State, version_id: int, sensitive: str, constraint: str, as_json: bool) -> None:
    """Create a mitigated candidate (group thresholds) and compare it with its parent."""
    from .evidence.mitigation import submit_mitigation

    job = submit_mitigation(state.engine, state.settings, state.actor(), version_id, sensitive, constraint)
    job = _wait_succeeded(state, job.id, "mitigation", quiet=as_json)
    if as_json:
        click.echo(json.dumps(job.result))
        return
    click.echo(f"mitigated candidate: version id {job.result['version_id']} (parent {version_id})")
    click.echo(job.result["comparison"].get("summary", ""))


if __name__ == "automl_canvas.cli":  # commands in their own modules, registered on the package's copy of `main`
    from .cli_feasibility import feasibility, inputs, portfolio
    from .cli_governance import register as _register_governance
    from .cli_monitoring import monitor
    from .cli_serve import register as _register_serve
    from .cli_store import register as _register_store

    _register_governance()
    _register_serve(main)
    _register_store(main)
    for _command in (feasibility, inputs, portfolio, monitor):
        main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover - `python -m automl_canvas.cli` runs the package's copy, which has every command
    from automl_canvas.cli import main as _entry

    _entry()
