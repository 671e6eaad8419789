"""Approval API benchmark (issue 19): a real uvicorn server and an open-loop load generator on loopback.

The server (one uvicorn process, prediction log on) is pinned with ``taskset`` to the last core, the
load generator (benchmarks/load.py: asyncio + httpx, open loop, latency from each request's due
time) to the first.  Measures, on an approved LightGBM version, one record per request:

1. offered 200 requests/s for 20 s: achieved rate, p50, p99, errors;
2. peak throughput (the most answered per second when offered more than it can take), beside a
   hello-world FastAPI endpoint measured the same way in the same run (the ratio is the figure that
   travels between machines);
3. 3x the measured peak offered (or the most the generator can offer, stated): p99 of all answers
   (200 or 503), 503 count, time-outs;
4. ``explain=true`` one record: p50;
5. batch scoring of 100,000 rows in process, without and with the prediction log.

Every phase is bounded (the generator stops by itself; requests time out after 10 s).

    PYTHONPATH=$PWD python benchmarks/api.py [--rate 200] [--seconds 20] [--budget 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, RESULTS, dump_json, header_lines, loadavg, machine_info, now_iso, today, train_and_approve

TARGETS = {"p50_ms": 5.0, "p99_ms": 20.0, "achieved_rate": 195.0, "peak_rate": 1000.0, "overload_p99_ms": 100.0,
           "explain_p50_ms": 30.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_world(home: Path, budget: float) -> dict:
    """Users, the churn sample, one LightGBM version trained by a real worker and approved."""
    from automl_canvas.auth.tokens import create_token
    from automl_canvas.auth.users import ensure_user
    from automl_canvas.config import Settings
    from automl_canvas.datasets.service import ingest_file
    from automl_canvas.db import init_db, make_engine, session_scope
    from automl_canvas.models import ProjectCreate
    from automl_canvas.projects import create_project
    from automl_canvas.training.spec import TrainingRequest

    settings = Settings(home=home, evidence_after_training=False)
    settings.ensure_dirs()
    engine = make_engine(settings)
    init_db(engine)
    with session_scope(engine) as s:
        ana = ensure_user(s, "ana", ("analyst",), "Ana")
        sam = ensure_user(s, "sam", ("scientist",), "Sam")
        dee = ensure_user(s, "dee", ("deployer",), "Dee")
        token = create_token(s, settings, dee, name="bench")[1]
        project = create_project(s, ana, ProjectCreate(name="Churn"))
    ds = ingest_file(engine, settings, ana, project.id, REPO / "sample_data" / "churn.csv")
    result = train_and_approve(settings, engine, ana, sam, ds.id, TrainingRequest(
        target="churned", budget=budget, learners=["lgbm"], excluded_columns=["customer_id"]))
    engine.dispose()
    return {"token": token, "version_id": result["version_id"], "learner": result["best_learner"]}


def batch_figures(home: Path, world: dict, rows: int = 100_000) -> dict:
    """Batch scoring of ``rows`` rows in process: read + score + append without logging (the issue's target) and
    the whole ``predict_batch_file`` call, which also writes every row to the prediction log."""
    from automl_canvas.config import Settings
    from automl_canvas.datasets.parsing import read_table
    from automl_canvas.db import make_engine, session_scope
    from automl_canvas.registry.service import load_model
    from automl_canvas.serving.service import _serving_version, attach_predictions, predict_batch_file

    settings = Settings(home=home, evidence_after_training=False)
    engine = make_engine(settings)
    src = pd.read_csv(REPO / "sample_data" / "churn.csv").drop(columns=["churned"])
    path = home / "batch.csv"
    src.sample(n=rows, replace=True, random_state=0).to_csv(path, index=False)
    from automl_canvas.auth.users import ensure_user

    with session_scope(engine) as s:
        dee = ensure_user(s, "dee", ("deployer",), "Dee")
        version = _serving_version(s, dee, world["version_id"])
    model = load_model(settings, version)
    model.predict_frame(src.head(100))  # warm: first-call costs are not the batch's
    t0 = time.perf_counter()
    table = read_table(path, path.name, max_bytes=settings.max_upload_bytes, max_columns=settings.max_columns, min_rows=1)
    t1 = time.perf_counter()
    attach_predictions(table, model.predict_frame(table))
    t2 = time.perf_counter()
    predict_batch_file(engine, settings, dee, world["version_id"], path, path.name)
    t3 = time.perf_counter()
    engine.dispose()
    return {"rows": rows, "csv_mb": round(path.stat().st_size / 1e6, 1), "read_s": round(t1 - t0, 3),
            "score_s": round(t2 - t1, 3), "without_log_s": round(t2 - t0, 3), "with_log_s": round(t3 - t2, 3),
            "load_avg_after": loadavg()}


def _cores() -> tuple[str, str]:
    """(load generator core, server core): the first and the last CPU this process may use."""
    cpus = sorted(os.sched_getaffinity(0))
    return str(cpus[0]), str(cpus[-1])


def start_server(home: Path, port: int, app: str, core: str) -> subprocess.Popen:
    env = {**os.environ, "AUTOML_CANVAS_HOME": str(home), "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(["taskset", "-c", core, sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning", "--no-access-log"], env=env, cwd=REPO)
    import httpx

    deadline = time.monotonic() + 300  # a loaded shared machine can take minutes to import the stack
    probe = "/health" if app.startswith("apps.") else "/hello"
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start")


GENERATOR = {"name": "node"}  # benchmarks/load.mjs when Node.js is on PATH, else benchmarks/load.py


def load(core: str, url: str, rate: float, seconds: float, headers: dict | None = None, body=None,
         method: str = "POST") -> dict:
    """One run of benchmarks/load.py pinned to ``core`` (a separate process, so it never shares the server's)."""
    node = shutil.which("node") if GENERATOR["name"] == "node" else None
    script = [node, str(REPO / "benchmarks" / "load.mjs")] if node else [sys.executable, str(REPO / "benchmarks" / "load.py")]
    cmd = ["taskset", "-c", core, *script, url, "--method", method, "--rate", str(rate), "--seconds", str(seconds)]
    for k, v in (headers or {}).items():
        cmd += ["--header", f"{k}: {v}"]
    if body is not None:
        cmd += ["--json", json.dumps(body)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--budget", type=float, default=10)
    ap.add_argument("--peak-offer", type=float, default=1500, help="offered rate when measuring peak throughput")
    ap.add_argument("--hello-offer", type=float, default=4000, help="offered rate for the hello-world reference")
    ap.add_argument("--generator", choices=["node", "python"], default="node",
                    help="open-loop load generator: benchmarks/load.mjs (Node.js, default) or benchmarks/load.py")
    args = ap.parse_args()
    GENERATOR["name"] = args.generator if shutil.which("node") else "python"
    gen_core, server_core = _cores()
    home = Path(tempfile.mkdtemp(prefix="canvas-api-bench-"))
    load_before = loadavg()
    world = build_world(home, args.budget)
    batch = batch_figures(home, world)
    row = pd.read_csv(REPO / "sample_data" / "churn.csv", nrows=1).drop(columns=["churned", "customer_id"])
    record = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.iloc[0].items()}
    headers = {"Authorization": f"Bearer {world['token']}"}
    body = {"records": [record]}

    hello_port = _free_port()
    hello = start_server(home, hello_port, "benchmarks.hello_app:create_app", server_core)
    try:
        hello_url = f"http://127.0.0.1:{hello_port}/hello"
        load(gen_core, hello_url, 100, 2, method="GET")  # warm-up
        hello_peak = load(gen_core, hello_url, args.hello_offer, 5, method="GET")
    finally:
        hello.terminate()
        hello.wait(10)

    port = _free_port()
    server = start_server(home, port, "apps.api:create_app", server_core)
    url = f"http://127.0.0.1:{port}/api/v1/model-versions/{world['version_id']}/predict"
    try:
        load(gen_core, url, 50, 2, headers, body)  # warm-up: load the model, build the fast scorer
        steady = load(gen_core, url, args.rate, args.seconds, headers, body)
        peak = load(gen_core, url, args.peak_offer, 5, headers, body)
        over_rate = round(3 * max(peak["achieved_rate"], 1.0))
        overload = load(gen_core, url, over_rate, 5, headers, body)
        explain = load(gen_core, url, 5, 4, headers, {**body, "explain": True})
        import httpx

        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        server.terminate()
        server.wait(10)
    drops = [ln for ln in metrics.splitlines() if ln.startswith("canvas_prediction_log_dropped")]
    result = {"date": now_iso(), "machine": machine_info(), "load_avg_before": load_before, "load_avg_after": loadavg(),
              "learner": world["learner"],
              "server": f"uvicorn, 1 process pinned to CPU {server_core}, SQLite, prediction log on; "
                        f"load generator (benchmarks/{'load.mjs, Node.js' if GENERATOR['name'] == 'node' else 'load.py'}) pinned to CPU {gen_core}",
              "batch": batch, "steady": steady, "peak": peak, "hello_peak": hello_peak, "overload": overload, "explain": explain,
              "prediction_log_dropped": drops, "targets": TARGETS}
    stem = RESULTS / f"api-{today()}"
    dump_json(stem.with_suffix(".json"), result)
    ratio = round(peak["achieved_rate"] / max(hello_peak["achieved_rate"], 1.0), 2)

    def yes(ok: bool) -> str:
        return "yes" if ok else "NO"

    lines = header_lines("Approval API benchmark (issue 19: serving at scale)", {
        "Script": f"`benchmarks/api.py` (load generator `benchmarks/{'load.mjs' if GENERATOR['name'] == 'node' else 'load.py'}`)", "Server": result["server"],
        "Model": f"{world['learner']} on sample_data/churn.csv (3,000 rows), one record per request",
        "Load average before / after": f"{load_before} / {result['load_avg_after']}"})
    lines += ["| run | offered req/s | achieved req/s | p50 ms | p99 ms | max ms | 503 | time-outs | other errors | target | met |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    s, p, o, e, h = steady, peak, overload, explain, hello_peak
    lines.append(f"| steady predict | {s['offered_rate']:g} ({s['offered_achieved']}) | {s['achieved_rate']} | {s['p50_ms']} | "
                 f"{s['p99_ms']} | {s['max_ms']} | {s['status_503']} | {s['timeouts']} | {s['errors']} | >= 195/s, p50 <= 5, "
                 f"p99 <= 20, 0 errors | {yes(s['achieved_rate'] >= 195 and (s['p50_ms'] or 1e9) <= 5 and (s['p99_ms'] or 1e9) <= 20 and s['errors'] + s['status_503'] == 0)} |")
    lines.append(f"| peak predict | {p['offered_rate']:g} ({p['offered_achieved']}) | {p['achieved_rate']} | {p['p50_ms']} | "
                 f"{p['p99_ms']} | {p['max_ms']} | {p['status_503']} | {p['timeouts']} | {p['errors']} | >= 1000/s | "
                 f"{yes(p['achieved_rate'] >= 1000)} |")
    lines.append(f"| hello-world FastAPI | {h['offered_rate']:g} ({h['offered_achieved']}) | {h['achieved_rate']} | {h['p50_ms']} | "
                 f"{h['p99_ms']} | {h['max_ms']} | {h['status_503']} | {h['timeouts']} | {h['errors']} | reference | - |")
    lines.append(f"| 3x peak overload | {o['offered_rate']:g} ({o['offered_achieved']}) | {o['achieved_rate']} | {o['p50_ms']} | "
                 f"{o['p99_ms']} (all answers {o['all_answers_p99_ms']}) | {o['max_ms']} | {o['status_503']} | {o['timeouts']} | "
                 f"{o['errors']} | p99 <= 100 (200 or 503), no time-outs | "
                 f"{yes((o['all_answers_p99_ms'] or 1e9) <= 100 and o['timeouts'] == 0)} |")
    lines.append(f"| explain=true | {e['offered_rate']:g} | {e['achieved_rate']} | {e['p50_ms']} | {e['p99_ms']} | {e['max_ms']} | "
                 f"{e['status_503']} | {e['timeouts']} | {e['errors']} | p50 <= 30 | {yes((e['p50_ms'] or 1e9) <= 30)} |")
    b = batch
    lines += ["", f"Batch scoring in process, {b['rows']:,} rows ({b['csv_mb']} MB CSV): read {b['read_s']} s + score and append "
              f"{b['score_s']} s = **{b['without_log_s']} s without logging** (target <= 2 s: "
              f"{yes(b['without_log_s'] <= 2)}); the whole call with every row written to the prediction log: "
              f"{b['with_log_s']} s."]
    lines += ["", f"Peak predict / hello-world: {ratio} ({p['achieved_rate']} vs {h['achieved_rate']} req/s, same run, same core).",
              ("Offered rates in brackets are what the generator actually managed to send; above that it is the limit, "
               "not the server."), f"Prediction-log drops: {', '.join(drops) or 'none reported'}.", ""]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
