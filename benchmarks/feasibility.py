"""Feasibility job wall time on a ~50k-row dataset with the default quick budget, learning curve included.

The table is ingested through the service, then one feasibility job (profile
with the target, quick AutoML run, bootstrap lift interval, simple rule,
learning curve at 10/25/50/100 % of the rows, scoring) runs in a real Worker's
child process, exactly as `automl-canvas feasibility` runs it.  Target: <= 2
minutes per job.  Reads ../shared/datasets (never copied into the repo).

    .venv/bin/python benchmarks/feasibility.py [--datasets adult,bank_marketing] [--n-jobs -1,1] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, datasets_dir, header_lines, library_versions, loadavg, machine_info, now_iso, write_report
from overhead import _get_job, _user_and_project, _world

TARGETS = {"adult": "class", "bank_marketing": "y", "diamonds": "price", "default_credit_card": "default_payment_next_month"}
LIMIT_SECONDS = 120


def run_case(tmp: Path, name: str, overrides: dict) -> dict:
    from automl_canvas.datasets.service import ingest_file
    from automl_canvas.db import session_scope
    from automl_canvas.feasibility import FeasibilityRequest, get_assessment, submit_feasibility
    from automl_canvas.runner.worker import Worker

    settings, engine = _world(tmp / f"home-{name}", **overrides)
    user, project = _user_and_project(engine, name)
    ds = ingest_file(engine, settings, user, project.id, datasets_dir() / f"{name}.csv")
    job = submit_feasibility(engine, settings, user, project.id, FeasibilityRequest(dataset_id=ds.id, target=TARGETS[name]))
    load0 = loadavg()
    Worker(settings, engine=engine).run(once=True)
    done = _get_job(engine, job.id)
    wall = (done.finished_at - done.started_at).total_seconds()
    if done.status != "succeeded":  # recorded, not hidden: e.g. the hard time limit on an overloaded machine
        return {"dataset": name, "rows": ds.n_rows, "columns": ds.n_columns, "n_jobs": settings.n_jobs, "status": done.status,
                "error": done.error, "job_wall_s": wall, "loadavg_before": load0, "loadavg_after": loadavg()}
    with session_scope(engine) as s:
        a = get_assessment(s, user, done.result["assessment_id"])
    m = a.measurements
    return {
        "status": "succeeded", "dataset": name, "rows": ds.n_rows, "columns": ds.n_columns, "target": TARGETS[name],
        "budget": settings.feasibility_budget, "n_jobs": settings.n_jobs, "job_wall_s": wall,
        "automl_s": m["seconds"]["automl"], "measure_total_s": m["seconds"]["total"],
        "rest_s": wall - m["seconds"]["total"], "search": m["search"], "learner": m["lift"]["learner"],
        "metric": m["metric"], "model_score": m["lift"]["model"], "baseline_score": m["lift"]["baseline"],
        "normalised_lift": m["lift"]["normalised"],
        "normalised_ci": [m["lift"]["normalised_ci_low"], m["lift"]["normalised_ci_high"]],
        "simple_rule": {k: m["simple_rule"][k] for k in ("kind", "description", "score", "normalised")},
        "learning_curve": m["learning_curve"], "score": a.score, "verdict": a.scorecard["verdict_label"],
        "components": {c["name"]: c["points"] for c in a.scorecard["components"]},
        "loadavg_before": load0, "loadavg_after": loadavg(),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="adult")
    ap.add_argument("--n-jobs", default="", help="comma-separated core counts to run each dataset with (default: settings, -1 = all)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    out = {"benchmark": "feasibility", "date": now_iso(), "machine": machine_info(), "versions": library_versions(),
           "limit_seconds": LIMIT_SECONDS, "cases": []}
    with tempfile.TemporaryDirectory(prefix="canvas-feasibility-bench-") as tmp:
        for i, (name, n_jobs) in enumerate((d.strip(), j) for d in args.datasets.split(",")
                                           for j in (args.n_jobs.split(",") if args.n_jobs else [None])):
            case = run_case(Path(tmp) / str(i), name, {} if n_jobs is None else {"n_jobs": int(n_jobs)})
            print(f"{name} n_jobs={case['n_jobs']}: {case['job_wall_s']:.1f} s, {case.get('verdict', case['status'])}", flush=True)
            out["cases"].append(case)
    md = header_lines("Feasibility job wall time (quick budget, learning curve included)",
                      {"Script": "`benchmarks/feasibility.py`", "Budget": "settings.feasibility_budget = quick (60 s of search)"})
    md += [("| dataset | rows × columns | n_jobs | job wall s | of which AutoML s | curve, bootstrap, rule s | profile, load, store s | "
           "load avg before/after | <= 120 s |"), "|---|---|---|---|---|---|---|---|---|"]
    for c in out["cases"]:
        if c["status"] != "succeeded":
            md.append(f"| {c['dataset']} | {c['rows']:,} × {c['columns']} | {c['n_jobs']} | {c['job_wall_s']:.1f} ({c['status']}: "
                      f"{c['error'].get('code')}) | – | – | – | {c['loadavg_before']} / {c['loadavg_after']} | no |")
            continue
        md.append(f"| {c['dataset']} | {c['rows']:,} × {c['columns']} | {c['n_jobs']} | {c['job_wall_s']:.1f} | {c['automl_s']:.1f} | "
                  f"{c['measure_total_s'] - c['automl_s']:.1f} | {c['rest_s']:.1f} | {c['loadavg_before']} / {c['loadavg_after']} | "
                  f"{'yes' if c['job_wall_s'] <= LIMIT_SECONDS else 'no'} |")
    md += ["", "| dataset | metric | model | baseline | normalised lift (95% interval) | simple rule | learning curve | score | verdict |",
           "|---|---|---|---|---|---|---|---|---|"]
    for c in (c for c in out["cases"] if c["status"] == "succeeded"):
        lo, hi = c["normalised_ci"]
        curve = ", ".join(f"{p['normalised']:.0%}@{p['rows']:,}" for p in c["learning_curve"]["points"])
        md.append(f"| {c['dataset']} | {c['metric']} | {c['model_score']:.4f} | {c['baseline_score']:.4f} | "
                  f"{c['normalised_lift']:.1%} ({lo:.1%} – {hi:.1%}) | {c['simple_rule']['kind']} {c['simple_rule']['score']:.4f} | "
                  f"{curve} → {c['learning_curve']['trend']} | {c['score']} | {c['verdict']} |")
    md.append("")
    write_report(args.out, "feasibility", out, md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
