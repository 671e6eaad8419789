"""The short lane's effect on build quality (issue 18, point 5): the same Canvas builds alone and beside a short job.

``automl-canvas up`` runs a short-lane worker beside the general one: it claims only evidence, reproduce and
monitor jobs, single-threaded (``n_jobs=1``) at ``nice`` +5 (``automl_canvas/runner/lanes.py``), so those jobs
do not wait behind a training job.  The cost it may put on a build running meanwhile is measured here: each
fold of a quality-benchmark dataset (``benchmarks/quality.py``: the product path, the AMLB metric, the same
outer folds) is built twice at the same budget -- alone, and with a stand-in for the lane's worst case running
the whole time: one process at the lane's niceness and thread limits, computing exact tree SHAP explanations of
a LightGBM model (what an evidence job spends its time on) in a loop.  A real short job runs for seconds, not a
whole build, so this bounds the effect from above.

    .venv/bin/python benchmarks/lane_quality.py [--datasets credit_g] [--folds 3] [--budget 60]

Writes ``benchmarks/results/lane-quality-<date>.{json,md}``.
"""

from __future__ import annotations

import os

from automl_canvas.threads import WAIT_POLICY

os.environ.update({**WAIT_POLICY, **os.environ})  # as quality.py and the job processes; values already set win

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, datasets_dir, dump_json, header_lines, loadavg, now_iso, today
from quality import AMLB_METRIC, folds, manifest, raw_frame, run_canvas, task_of

#: The stand-in short job: the lane's limits (one thread, nice +5 through the product's own function), then
#: tree SHAP of a LightGBM model on 2,000 rows, over and over, until it is stopped.
STAND_IN = """
import os, sys
os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")  # the wait policy: inherited
sys.path.insert(0, sys.argv[1])
from automl_canvas.runner.lanes import lower_priority
lower_priority()
import warnings; warnings.simplefilter("ignore")
import numpy as np, lightgbm as lgb, shap
rng = np.random.default_rng(0)
X = rng.normal(size=(2000, 20)); y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=2000) > 0).astype(int)
model = lgb.LGBMClassifier(n_estimators=200, num_leaves=31, n_jobs=1, verbose=-1).fit(X, y)
explainer = shap.TreeExplainer(model)
print("ready", flush=True)
while True:
    explainer.shap_values(X)
"""


def start_stand_in() -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", STAND_IN, str(Path(__file__).resolve().parent.parent)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", "the stand-in short job did not start"
    return proc


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="credit_g")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--budget", type=float, default=60)
    args = ap.parse_args()
    root = datasets_dir()
    meta = manifest(root)
    from automl_canvas.config import Settings
    from automl_canvas.datasets.parsing import read_table

    s = Settings()
    runs = []
    load_before = loadavg()
    for name in args.datasets.split(","):
        row = meta[name]
        path = root / row["file"]
        target, task = row["target"], task_of(name, row)
        _, y = raw_frame(path, target)
        df = read_table(path, path.name, max_bytes=max(s.max_upload_bytes, path.stat().st_size + 1), max_columns=s.max_columns)
        for k, (tr, te) in enumerate(folds(y, task, args.folds)):
            for condition in ("alone", "beside a short job"):
                stand_in = start_stand_in() if condition != "alone" else None
                cpu0 = cpu_seconds(stand_in.pid) if stand_in else None
                start_load = loadavg()
                t = time.perf_counter()
                res = run_canvas(df, name, target, task, tr, te, args.budget)
                wall = time.perf_counter() - t
                short_cpu = None
                if stand_in is not None:
                    short_cpu = round(cpu_seconds(stand_in.pid) - cpu0, 1)
                    stand_in.kill()
                    stand_in.wait()
                runs.append({"dataset": name, "fold": k, "condition": condition, "metric": AMLB_METRIC[task],
                             "score": res["score"], "wall_seconds": round(wall, 1), "best_learner": res["best_learner"],
                             "search_trials": res["extra"]["search_trials"], "short_job_cpu_seconds": short_cpu,
                             "load_avg_start": start_load, "load_avg_end": loadavg()})
                print(runs[-1], flush=True)
    result = {"date": now_iso(), "budget": args.budget, "load_avg_before": load_before, "runs": runs}
    stem = RESULTS / f"lane-quality-{today()}"
    dump_json(stem.with_suffix(".json"), result)

    lines = header_lines("The short lane's effect on build quality (issue 18)", {
        "Script": "`benchmarks/lane_quality.py`", "Budget": f"{args.budget:.0f} s per build (the product's default settings)",
        "Stand-in short job": "one process at nice +5, one thread (the short lane's limits), exact tree SHAP in a loop "
                              "for the whole build (a real short job runs for seconds: an upper bound)",
        "Load average before": str(load_before)})
    lines += ["| dataset | fold | condition | score | wall s | search trials | delivered | short job's CPU s |",
              "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['dataset']} | {r['fold']} | {r['condition']} | {r['score']:.4f} | {r['wall_seconds']} | "
                     f"{r['search_trials']} | {r['best_learner']} | {r['short_job_cpu_seconds'] or '-'} |")
    lines.append("")
    for name in args.datasets.split(","):
        pairs = [(a, b) for a in runs for b in runs if a["dataset"] == b["dataset"] == name and a["fold"] == b["fold"]
                 and a["condition"] == "alone" and b["condition"] != "alone"]
        diff = np.array([b["score"] - a["score"] for a, b in pairs])
        trials = np.array([b["search_trials"] / max(1, a["search_trials"]) for a, b in pairs])
        wall = np.array([b["wall_seconds"] - a["wall_seconds"] for a, b in pairs])
        lines.append(f"- {name} ({pairs[0][0]['metric']}): beside the short job minus alone, mean {diff.mean():+.4f} "
                     f"(per fold {', '.join(f'{d:+.4f}' for d in diff)}); search trials x{trials.mean():.2f}; "
                     f"wall time {wall.mean():+.1f} s.")
    lines += ["", f"Load average after: {loadavg()}.", ""]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
