"""SHAP explanation benchmark: a 500-tree LightGBM on 50 features, through the product path.

(i) Batch: ``automl_canvas.explain.explain`` on 2,000 rows x 50 features of a
    500-tree LightGBM (binary), from original columns to an Explanation per
    original column: preprocessing, building shap's TreeExplainer (reading the
    trees), the TreeSHAP itself and the mapping back.  Target <= 5 s on 2 cores.
    Repeated 3 times; wall and process CPU seconds, and the additivity error.

(ii) What-if: ``explain_row`` on one row typed as a dict (validated field by
    field), 50 different rows, with the prepared explainer cached after the
    first call (the first, cold call is reported on its own).  Target <= 200 ms
    for the median and p95.

(iii) Context, no target: the same two measures for the default
    HistGradientBoosting model on the same data.  It has categorical features,
    so its trees are explained through their exact LightGBM copy (see
    ``automl_canvas/explain/hgb_trees.py``).  ``--skip-hgb`` leaves it out.

The model: our preprocessor + ``fit_estimator("binary", "lgbm", {n_estimators:
500, num_leaves: 31, learning_rate: 0.05}, n_jobs=2)`` on 10,000 generated rows
(42 numeric columns, 8 categorical ones of 3-40 levels, 5 % missing values),
wrapped in a ``CanvasModel`` as ``train()`` would deliver it.

    .venv/bin/python benchmarks/explain.py [--rows 2000] [--train-rows 10000] [--repeats 3] [--what-if 50] [--skip-hgb] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import statistics
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from _common import RESULTS, dump_json, header_lines, library_versions, loadavg, machine_info, now_iso, today

TARGET_BATCH_S = 5.0
TARGET_WHAT_IF_S = 0.200
N_NUMERIC, N_CATEGORICAL = 42, 8
LGBM_CONFIG = {"n_estimators": 500, "num_leaves": 31, "learning_rate": 0.05, "min_child_samples": 20}


def generate(rows: int, seed: int = 0) -> pd.DataFrame:
    """50 feature columns and a binary target that depends on a dozen of them."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i in range(N_NUMERIC):
        x = rng.normal(size=rows)
        cols[f"x{i:02d}"] = np.where(rng.random(rows) < 0.05, np.nan, x).round(4)
    for j in range(N_CATEGORICAL):
        card = (3, 5, 8, 12, 20, 25, 30, 40)[j]
        cols[f"c{j}"] = np.array([f"c{j}_{k}" for k in range(card)], dtype=object)[rng.integers(0, card, rows)]
    df = pd.DataFrame(cols)
    x = df[[f"x{i:02d}" for i in range(12)]].fillna(0).to_numpy()
    effects = rng.normal(scale=0.7, size=40)
    logit = (
        x[:, 0] - 0.8 * x[:, 1] + 0.6 * x[:, 2] * x[:, 3] + 0.5 * np.sin(2 * x[:, 4]) + 0.3 * x[:, 5:12].sum(axis=1)
        + effects[df["c7"].str.split("_").str[1].astype(int).to_numpy()] + (df["c0"] == "c0_1") * 0.8 - 0.5
    )
    df["target"] = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return df


def build_model(df: pd.DataFrame, learner: str, config: dict, n_jobs: int):
    from automl_canvas.datasets.profiling import profile_frame
    from automl_canvas.training.pipeline import CanvasModel
    from automl_canvas.training.preprocess import TabularPreprocessor, plan_features
    from automl_canvas.training.trainer import fit_estimator

    plan = plan_features(profile_frame(df).to_dict(), "target")
    pre = TabularPreprocessor(plan).fit(df)
    X = pre.transform(df)
    classes = ["no", "yes"]
    y = df["target"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    est = fit_estimator("binary", learner, config, 0, n_jobs, X, y)
    return CanvasModel(task="binary", target="target", learner=learner, preprocessor=pre, estimator=est, classes=classes)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def measure_batch(model, rows: pd.DataFrame, repeats: int) -> dict:
    from automl_canvas.explain import explain, model_output

    runs = []
    for r in range(repeats):
        load_before = loadavg()
        w0, c0 = time.perf_counter(), time.process_time()
        expl = explain(model, rows, max_rows=len(rows))
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        err = float(np.abs(expl.output_values() - model_output(model, rows.loc[expl.row_index])).max())
        runs.append({"repeat": r + 1, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "max_additivity_error": err,
                     "load_before": load_before, "load_after": loadavg()})
        print(f"  batch repeat {r + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU, additivity error {err:.1e}, load {load_before} -> {runs[-1]['load_after']}")
    # the two parts: preparing the explainer (reading the trees) and explaining
    from automl_canvas.explain import ModelExplainer

    w0 = time.perf_counter()
    prepared = ModelExplainer(model)
    prepare_s = time.perf_counter() - w0
    w0 = time.perf_counter()
    prepared.explain(rows, max_rows=len(rows))
    explain_s = time.perf_counter() - w0
    walls = [r["wall_s"] for r in runs]
    return {
        "rows": len(rows), "features": len(model.input_columns), "explainer": expl.explainer,
        "output_space": expl.output_space, "runs": runs, "median_wall_s": statistics.median(walls),
        "split_once": {"prepare_explainer_s": round(prepare_s, 3), "explain_s": round(explain_s, 3)},
        "target_s": TARGET_BATCH_S, "met": statistics.median(walls) <= TARGET_BATCH_S,
    }


def measure_threads(model, rows: pd.DataFrame) -> dict:
    """LightGBM's own TreeSHAP (what the batch spends its time in) on 1 and 2 threads, interleaved."""
    from automl_canvas.explain.library import library_view

    view = library_view(model)
    M = view.matrix(model.transform(rows))
    booster = view.library_model.booster_
    out: dict = {}
    for threads in (1, 2, 1, 2):
        load = loadavg()
        w0, c0 = time.perf_counter(), time.process_time()
        booster.predict(M, pred_contrib=True, num_threads=threads)
        rec = {"wall_s": round(time.perf_counter() - w0, 3), "cpu_s": round(time.process_time() - c0, 3), "load_before": load}
        out.setdefault(f"threads_{threads}", []).append(rec)
        print(f"  pred_contrib, {threads} thread(s): {rec['wall_s']:.2f} s wall, {rec['cpu_s']:.2f} s CPU (load {load})")
    return out


def measure_what_if(model, df: pd.DataFrame, n: int, background: pd.DataFrame | None) -> dict:
    from automl_canvas.explain import clear_cache, explain_row

    clear_cache()
    rows = [{k: (None if pd.isna(v) else v) for k, v in rec.items()} for rec in df[model.input_columns].iloc[:n + 1].to_dict("records")]
    load_before = loadavg()
    w0 = time.perf_counter()
    explain_row(model, rows[0], background)
    cold = time.perf_counter() - w0
    times = []
    for row in rows[1:]:
        w0 = time.perf_counter()
        explain_row(model, row, background)
        times.append(time.perf_counter() - w0)
    out = {
        "calls": len(times), "cold_first_call_s": round(cold, 4),
        "median_s": round(statistics.median(times), 4), "p95_s": round(pct(times, 95), 4), "max_s": round(max(times), 4),
        "load_before": load_before, "load_after": loadavg(), "target_s": TARGET_WHAT_IF_S,
    }
    out["met"] = out["median_s"] <= TARGET_WHAT_IF_S and out["p95_s"] <= TARGET_WHAT_IF_S
    print(f"  what-if: cold {cold * 1000:.0f} ms, median {out['median_s'] * 1000:.1f} ms, p95 {out['p95_s'] * 1000:.1f} ms")
    return out


def measure_hgb(train_df: pd.DataFrame, rows: pd.DataFrame, what_if: int) -> dict:
    """The default model: TreeSHAP on its exact LightGBM copy (no target; for context)."""
    from automl_canvas.training.trainer import DEFAULT_LEARNER

    w0 = time.perf_counter()
    model = build_model(train_df, DEFAULT_LEARNER, {}, n_jobs=2)
    fit_s = round(time.perf_counter() - w0, 1)
    n_trees = sum(len(p) for p in model.estimator._predictors)
    print(f"  default model fitted in {fit_s} s, {n_trees} trees")
    batch = measure_batch(model, rows, repeats=1)
    wi = measure_what_if(model, rows, what_if, None)
    return {"learner": DEFAULT_LEARNER, "fit_s": fit_s, "trees": n_trees, "batch": batch, "what_if": wi}


def write_markdown(path: Path, res: dict) -> None:
    b, w = res["batch"], res["what_if"]
    extra = {
        "Script": "`benchmarks/explain.py`",
        "shap": res["shap_version"],
        "Model": f"LightGBM via FLAML `lgbm`, config {LGBM_CONFIG}, {res['trees']} trees, fitted on {res['train_rows']:,} rows in {res['fit_s']} s (n_jobs=2)",
        "Background load": "a long `benchmarks/quality.py` run (one full core or more) ran on the same 2 cores the whole time",
    }
    lines = header_lines("SHAP explanation benchmark", extra)
    lines += [
        f"## (i) Batch: {b['rows']:,} rows × {b['features']} features, TreeExplainer ({b['output_space']})",
        "",
        "`explain(model, rows)` end to end: preprocessing, building shap's TreeExplainer, TreeSHAP (LightGBM's own C++ code), mapping to original columns.",
        "",
        "| repeat | wall s | process CPU s | max additivity error | load avg before / after |",
        "|---|---|---|---|---|",
    ]
    for r in b["runs"]:
        lines.append(f"| {r['repeat']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['max_additivity_error']:.1e} | {r['load_before']} / {r['load_after']} |")
    lines += [
        "",
        f"One more run split in two: preparing the explainer {b['split_once']['prepare_explainer_s']:.2f} s, explaining {b['split_once']['explain_s']:.2f} s.",
        "",
        (
            "Nearly all of the time is LightGBM's own C++ TreeSHAP (`Booster.predict(pred_contrib=True)`), which splits "
            "the rows over its threads. Alone, on the same matrix, interleaved:"
        ),
        "",
        "| threads | wall s | process CPU s | load avg before |",
        "|---|---|---|---|",
    ]
    for key, recs in res["threads"].items():
        for rec in recs:
            lines.append(f"| {key.split('_')[1]} | {rec['wall_s']:.2f} | {rec['cpu_s']:.2f} | {rec['load_before']} |")
    lines += [
        "",
        f"## (ii) What-if: {w['calls']} single rows given as dicts (`explain_row`)",
        "",
        (
            f"First (cold) call, which builds and caches the explainer: {w['cold_first_call_s'] * 1000:.0f} ms. "
            f"Then: median {w['median_s'] * 1000:.1f} ms, p95 {w['p95_s'] * 1000:.1f} ms, max {w['max_s'] * 1000:.1f} ms "
            f"(load avg {w['load_before']} / {w['load_after']})."
        ),
        "",
    ]
    if res.get("hgb"):
        h = res["hgb"]
        hb, hw = h["batch"], h["what_if"]
        r = hb["runs"][0]
        lines += [
            "## (iii) Context: the default HistGradientBoosting model on the same data",
            "",
            (
                f"{h['trees']} trees, fitted in {h['fit_s']} s. It has categorical features, which shap 0.51's TreeExplainer "
                "misreads, so its trees are copied into an identical LightGBM booster (checked against the model on every "
                f"explained row) and explained with TreeSHAP. {hb['rows']:,} rows: {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU, "
                f"additivity error {r['max_additivity_error']:.1e} (load avg {r['load_before']} / {r['load_after']}). "
                f"What-if: cold {hw['cold_first_call_s'] * 1000:.0f} ms, then median {hw['median_s'] * 1000:.1f} ms, "
                f"p95 {hw['p95_s'] * 1000:.1f} ms over {hw['calls']} rows."
            ),
            "",
            (
                "For comparison, earlier the same day (same machine and data, load average about 5) this model was explained "
                "by the permutation explainer (100 background rows, 10 antithetic permutations): 0.83 s per row, so about "
                "7 minutes for its 500-row cap, and 0.85 s for one what-if row. That explainer remains for learners without "
                "an exact one, and as the fallback if the LightGBM copy ever disagrees with the model."
            ),
            "",
        ]
    lines += [
        "## Against the targets",
        "",
        "| measure | result | target | met |",
        "|---|---|---|---|",
        f"| batch {b['rows']:,} × {b['features']}, 500-tree LightGBM, median of {len(b['runs'])} | {b['median_wall_s']:.2f} s | ≤ {TARGET_BATCH_S:.0f} s on 2 cores | {'yes' if b['met'] else 'no'} |",
        f"| what-if median | {w['median_s'] * 1000:.1f} ms | ≤ 200 ms | {'yes' if w['median_s'] <= TARGET_WHAT_IF_S else 'no'} |",
        f"| what-if p95 | {w['p95_s'] * 1000:.1f} ms | ≤ 200 ms | {'yes' if w['p95_s'] <= TARGET_WHAT_IF_S else 'no'} |",
        "",
    ]
    if not b["met"]:
        cpu = statistics.median(r["cpu_s"] for r in b["runs"])
        lines += [
            (
                f"Reading the batch miss: the work is about {cpu:.1f} CPU-seconds, almost all of it LightGBM's TreeSHAP. "
                "With the second core taken by the background run, process CPU time stayed close to wall time even with 2 "
                "threads, so these runs had about one core. LightGBM splits the rows over its threads, so an idle 2-core "
                "machine should take roughly half of that, under the target; that was not measured here."
            ),
            "",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--train-rows", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--what-if", type=int, default=50)
    ap.add_argument("--skip-hgb", action="store_true")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    started = now_iso()
    df = generate(args.train_rows + args.rows, seed=0)
    train_df, rows = df.iloc[: args.train_rows], df.iloc[args.train_rows:]
    print(f"fitting a 500-tree LightGBM on {len(train_df):,} rows x {N_NUMERIC + N_CATEGORICAL} features ...")
    w0 = time.perf_counter()
    model = build_model(train_df, "lgbm", LGBM_CONFIG, n_jobs=2)
    fit_s = round(time.perf_counter() - w0, 1)
    trees = int(model.estimator.model.booster_.num_trees())
    print(f"  fitted in {fit_s} s, {trees} trees")
    res = {
        "benchmark": "explain", "date": started, "machine": machine_info(),
        "versions": {**library_versions(), "shap": metadata.version("shap"), "matplotlib": metadata.version("matplotlib")},
        "shap_version": metadata.version("shap"),
        "note": "Shared machine: a long benchmarks/quality.py run used the same 2 cores throughout; 1-minute load averages are recorded per measure.",
        "train_rows": len(train_df), "fit_s": fit_s, "trees": trees, "lgbm_config": LGBM_CONFIG,
    }
    print("batch ...")
    res["batch"] = measure_batch(model, rows, args.repeats)
    print("LightGBM TreeSHAP alone, 1 vs 2 threads ...")
    res["threads"] = measure_threads(model, rows)
    print("what-if ...")
    res["what_if"] = measure_what_if(model, rows, args.what_if, None)
    if not args.skip_hgb:
        print("default HistGradientBoosting (TreeSHAP on its LightGBM copy) ...")
        res["hgb"] = measure_hgb(train_df, rows, args.what_if)
    res["finished"] = now_iso()
    stem = args.out / f"explain-{today()}"
    dump_json(stem.with_suffix(".json"), res)
    write_markdown(stem.with_suffix(".md"), res)
    print(f"wrote {stem}.json and .md")


if __name__ == "__main__":
    main()
