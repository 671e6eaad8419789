"""The analyst's first what-if and first 100-row batch, cold and after Results has warmed the model (issue 20).

Each measurement runs in a fresh Python process, as a newly started app process is: "cold" asks the
what-if first thing; "warm" first runs what Results starts in the background (apps/analyst/warm.py ->
automl_canvas.evidence.service.warm_what_if, timed on its own: the analyst is reading Results meanwhile), then
asks a different what-if and scores a 100-row file through the batch page's function.  Then the scientist
dashboard's tabs are drawn with Streamlit's AppTest.  Targets (quiet machine): first what-if <= 2 s after
Results has rendered, a 100-row batch <= 3 s, a dashboard tab <= 1.5 s.

    PYTHONPATH=$PWD python benchmarks/apps_warm.py [--budget 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, RESULTS, dump_json, header_lines, loadavg, now_iso, today

TARGETS = {"first_what_if_s": 2.0, "batch_100_s": 3.0, "dashboard_tab_s": 1.5}


def child(mode: str, home: Path, version_id: int) -> dict:
    started = time.perf_counter()
    import pandas as pd

    from automl_canvas.auth.users import ensure_user
    from automl_canvas.config import Settings
    from automl_canvas.db import make_engine, session_scope
    from automl_canvas.evidence.service import explain_what_if, warm_what_if
    from automl_canvas.registry.plain_language import typical_row
    from automl_canvas.registry.service import get_version
    from automl_canvas.serving.batch import predict_upload

    settings = Settings(home=home, evidence_after_training=False)
    engine = make_engine(settings)
    with session_scope(engine) as s:
        ana = ensure_user(s, "ana", ("analyst",), "Ana")
        schema = get_version(s, ana, version_id).feature_schema
    out = {"mode": mode, "imports_s": round(time.perf_counter() - started, 3)}
    if mode == "warm":
        t = time.perf_counter()
        warm_what_if(engine, settings, ana, version_id)
        out["warm_up_s"] = round(time.perf_counter() - t, 3)
    row = typical_row(schema)
    number = next((c for c in row if (schema["columns"].get(c) or {}).get("kind") == "numeric" and row[c] is not None), None)
    if number:  # another case than the warm-up's
        row[number] = row[number] + 1
    t = time.perf_counter()
    explain_what_if(engine, settings, ana, version_id, row)
    out["first_what_if_s"] = round(time.perf_counter() - t, 3)
    path = home / f"batch-{mode}.csv"
    pd.read_csv(REPO / "sample_data" / "churn.csv", nrows=100).drop(columns=["churned"]).to_csv(path, index=False)
    t = time.perf_counter()
    predict_upload(engine, settings, ana, version_id, path, filename=path.name)
    out["batch_100_s"] = round(time.perf_counter() - t, 3)
    out["load_avg_after"] = loadavg()
    return out


TABS = ("Overview", "Leaderboard", "Data", "Explanations", "Fairness", "Reproducibility", "Decision", "History")


def dashboard_tabs(home: Path, version_id: int) -> dict:
    """Seconds to draw each tab of the scientist's "Under the hood" page (Streamlit AppTest, in its own process).

    The page draws only the open tab (``st.tabs(..., on_change="rerun")``), so each tab gets its own AppTest
    opened on it (``hood_tab`` preset, as the app's tests do): "first" is the page run that draws the tab the
    first time in this process (the app already started, the dashboard's caches cold for that tab), "again" a
    rerun of the same page (what a second click costs).  Each timing is kept only if the tab was drawn: it is
    the open one and holds elements; otherwise the reason is recorded instead of a number."""
    import os

    from streamlit.testing.v1 import AppTest

    from automl_canvas.auth.users import ensure_user
    from automl_canvas.config import Settings
    from automl_canvas.db import make_engine, session_scope

    os.environ["AUTOML_CANVAS_HOME"] = str(home)
    engine = make_engine(Settings(home=home))
    with session_scope(engine) as s:
        sam = ensure_user(s, "sam", ("scientist",), "Sam")
    engine.dispose()
    out: dict = {}
    for tab in TABS:
        at = AppTest.from_file(str(REPO / "apps" / "scientist" / "app.py"), default_timeout=300)
        at.session_state["canvas_user_id"] = sam.id
        at.session_state["review_version_id"] = version_id
        at.session_state["hood_tab"] = tab
        at.run()
        at.switch_page("pages/review.py")
        for visit in ("first", "again"):
            t = time.perf_counter()
            at.run()
            seconds = round(time.perf_counter() - t, 3)
            drawn = [x for x in at.tabs if x.label == tab and getattr(x, "open", True) and len(x.children) > 0]
            if at.exception:
                trace = at.exception[0].stack_trace or [""]
                out[f"{tab}:error"] = f"{at.exception[0].message[:80]} ({trace[-1].strip()[:160]})"
            elif not drawn:
                out[f"{tab}:error"] = "the tab was not drawn (not open, or empty)"
            else:
                out[f"{tab}:{visit}"] = seconds
    return out


def add_evidence(home: Path, version_id: int) -> None:
    """The version's evidence (performance detail, SHAP, fairness on ``gender``-less churn: none), as after a real
    build: the API benchmark's world skips it, and the dashboard's tabs draw it."""
    from automl_canvas.auth.users import ensure_user
    from automl_canvas.config import Settings
    from automl_canvas.db import make_engine, session_scope
    from automl_canvas.evidence.service import submit_evidence
    from automl_canvas.runner.worker import Worker

    settings = Settings(home=home)
    engine = make_engine(settings)
    with session_scope(engine) as s:
        sam = ensure_user(s, "sam", ("scientist",), "Sam")
    submit_evidence(engine, settings, sam, version_id)
    worker = Worker(settings, engine=engine)
    while worker.run(once=True):
        pass
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs=3, metavar=("MODE", "HOME", "VERSION"))
    ap.add_argument("--tabs", nargs=2, metavar=("HOME", "VERSION"))
    args = ap.parse_args()
    if args.child:
        mode, home, version = args.child
        print(json.dumps(child(mode, Path(home), int(version))))
        return
    if args.tabs:
        print(json.dumps(dashboard_tabs(Path(args.tabs[0]), int(args.tabs[1]))))
        return
    from api import build_world

    home = Path(tempfile.mkdtemp(prefix="canvas-warm-bench-"))
    load_before = loadavg()
    world = build_world(home, args.budget)
    add_evidence(home, world["version_id"])
    runs = []
    for _ in range(args.repeat):
        for mode in ("cold", "warm"):
            done = subprocess.run([sys.executable, __file__, "--child", mode, str(home), str(world["version_id"])],
                                  capture_output=True, text=True, check=True, timeout=600, cwd=REPO)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    # In a fresh process, as a newly started dashboard is (this one has trained the world and imported the API).
    done = subprocess.run([sys.executable, __file__, "--tabs", str(home), str(world["version_id"])],
                          capture_output=True, text=True, check=True, timeout=600, cwd=REPO)
    tabs = json.loads(done.stdout.strip().splitlines()[-1])
    result = {"date": now_iso(), "load_avg_before": load_before, "learner": world["learner"], "runs": runs,
              "dashboard_tabs": tabs, "targets": TARGETS}
    stem = RESULTS / f"apps-warm-{today()}"
    dump_json(stem.with_suffix(".json"), result)

    def median(mode: str, key: str) -> float:
        values = sorted(r[key] for r in runs if r["mode"] == mode)
        return values[len(values) // 2]

    lines = header_lines("The analyst's first what-if and batch, cold and warmed by Results (issue 20)", {
        "Script": "`benchmarks/apps_warm.py` (each run a fresh process, as a newly started app process)",
        "Model": f"{world['learner']} on sample_data/churn.csv, approved", "Runs": f"{args.repeat} per mode (medians)",
        "Load average before": str(load_before)})
    lines += ["| mode | imports s | warm-up s (in the background) | first what-if s | 100-row batch s |", "|---|---|---|---|---|"]
    for mode in ("cold", "warm"):
        warm = median(mode, "warm_up_s") if mode == "warm" else "-"
        lines.append(f"| {mode} | {median(mode, 'imports_s')} | {warm} | {median(mode, 'first_what_if_s')} | "
                     f"{median(mode, 'batch_100_s')} |")
    w_if, w_batch = median("warm", "first_what_if_s"), median("warm", "batch_100_s")
    lines += ["", f"Targets after Results has rendered: first what-if <= 2 s: {'met' if w_if <= 2 else 'NOT met'} ({w_if} s); "
              f"100-row batch <= 3 s: {'met' if w_batch <= 3 else 'NOT met'} ({w_batch} s).",
              "", "Scientist dashboard, \"Under the hood\" tabs (seconds, AppTest in one fresh process, a tab per AppTest; target <= 1.5 s each):", "",
              "| tab | first visit | again |", "|---|---|---|"]
    lines += [f"| {t} | {tabs.get(t + ':first', tabs.get(t + ':error'))} | {tabs.get(t + ':again', '-')} |" for t in TABS]
    slowest = max(tabs.get(t + ":first", 0) for t in TABS)
    if any(t + ":error" in tabs for t in TABS):
        lines += ["", "A tab with a message instead of a number was not drawn: its timing is not a measurement."]
    lines += ["", f"Slowest first visit: {slowest} s ({'met' if slowest <= 1.5 else 'NOT met'}).",
              f"Load average after: {loadavg()}.", ""]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
