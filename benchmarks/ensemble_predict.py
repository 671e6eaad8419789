"""Single-record prediction of a weighted ensemble against its slowest member (issue 14 target: ≤ 2×).

Members are fitted on the churn sample with the product's own estimators; each model is scored one record at
a time through the API's hot path (``registry.fast_scoring.FastScorer``) where it covers the model, else through
the frame path (``CanvasModel.predict_frame``), exactly as ``/predict`` serves it.  Reported: the median and p95
of 1,000 calls per model, the load average before and after.

    .venv/bin/python benchmarks/ensemble_predict.py
"""

from __future__ import annotations

import os

from automl_canvas.threads import WAIT_POLICY

# The thread policy the API process runs with (cli/serve.py): set before any learner loads its OpenMP runtime.
os.environ.update({**WAIT_POLICY, **os.environ})  # values already set win

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import RESULTS, SHARED_NOTE, loadavg, machine_info, now_iso, today

from automl_canvas.datasets.profiling import profile_frame
from automl_canvas.registry.fast_scoring import build_scorer
from automl_canvas.training.estimators import fit_estimator
from automl_canvas.training.pipeline import CanvasModel
from automl_canvas.training.preprocess import TabularPreprocessor, plan_features

CALLS = 1000
MEMBERS = {"lgbm": {"n_estimators": 300, "num_leaves": 31}, "xgboost": {"n_estimators": 300, "max_leaves": 31},
           "hist_gradient_boosting_default": {}, "catboost": {"n_estimators": 300, "learning_rate": 0.1},
           "lrl1": {"C": 1.0}}
ENSEMBLES = {"boosters (hot path)": ["lgbm", "xgboost", "hist_gradient_boosting_default"],
             "with CatBoost and linear (frame path)": ["lgbm", "catboost", "lrl1"]}


def _time(fn, record) -> dict:
    fn(record)  # warm
    out = []
    for _ in range(CALLS):
        t = time.perf_counter()
        fn(record)
        out.append((time.perf_counter() - t) * 1000)
    return {"median_ms": round(statistics.median(out), 3), "p95_ms": round(float(np.percentile(out, 95)), 3)}


def _scorer(model):
    fast = build_scorer(model)
    if fast is not None:
        return "hot path", fast.score
    cols = model.input_columns
    return "frame path", lambda r: model.predict_frame(pd.DataFrame([r], columns=cols))


def main() -> None:
    df = pd.read_csv(Path(__file__).resolve().parents[1] / "sample_data" / "churn.csv").drop(columns=["customer_id"])
    target = "churned"
    plan = plan_features(profile_frame(df, target).to_dict(), target)
    X_raw = df.drop(columns=[target])
    pre = TabularPreprocessor(plan).fit(X_raw)
    X = pre.transform(X_raw)
    classes = sorted(df[target].unique().tolist())
    y = np.array([classes.index(v) for v in df[target]])
    record = {c: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for c, v in X_raw.iloc[0].items()}
    load_before = loadavg()
    fitted = {name: fit_estimator("binary", name, cfg, 0, 1, X, y) for name, cfg in MEMBERS.items()}
    timings = {}
    for name, est in fitted.items():
        model = CanvasModel("binary", target, name, pre, est, classes, threshold=0.5)
        path, fn = _scorer(model)
        timings[name] = {"path": path, **_time(fn, record)}
    rows = []
    for label, names in ENSEMBLES.items():
        config = {"members": [{"learner": n, "config": MEMBERS[n], "weight": 1 / len(names)} for n in names]}
        ens = fit_estimator("binary", "weighted_ensemble", config, 0, 1, X, y)
        model = CanvasModel("binary", target, "weighted_ensemble", pre, ens, classes, threshold=0.5)
        path, fn = _scorer(model)
        t = _time(fn, record)
        slowest = max(names, key=lambda n: timings[n]["median_ms"])
        rows.append({"ensemble": label, "members": names, "path": path, **t, "slowest_member": slowest,
                     "slowest_member_median_ms": timings[slowest]["median_ms"],
                     "ratio_to_slowest": round(t["median_ms"] / timings[slowest]["median_ms"], 2)})
    result = {"benchmark": "ensemble_predict", "at": now_iso(), "machine": machine_info(), "note": SHARED_NOTE,
              "load_before": load_before, "load_after": loadavg(), "calls": CALLS, "members": timings, "ensembles": rows,
              "target": "an ensemble's single-record predict ≤ 2× its slowest member's"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"ensemble-predict-{today()}"
    out.with_suffix(".json").write_text(json.dumps(result, indent=2))
    lines = [f"# Ensemble single-record predict ({today()})", "",
             f"Machine: {result['machine']}; load average before {load_before}, after {result['load_after']}. {SHARED_NOTE}", "",
             "| model | path | median ms | p95 ms |", "|---|---|---|---|"]
    lines += [f"| {n} | {t['path']} | {t['median_ms']} | {t['p95_ms']} |" for n, t in timings.items()]
    lines += ["", "| ensemble | path | median ms | p95 ms | slowest member (median ms) | ratio | target ≤ 2× |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['ensemble']} | {r['path']} | {r['median_ms']} | {r['p95_ms']} | {r['slowest_member']} "
              f"({r['slowest_member_median_ms']}) | {r['ratio_to_slowest']} | {'met' if r['ratio_to_slowest'] <= 2 else 'MISSED'} |"
              for r in rows]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
