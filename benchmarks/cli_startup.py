"""CLI start-up: how long ``automl-canvas`` takes before it does anything.

Each case runs the installed ``automl-canvas`` script (``python -m
automl_canvas.cli`` when the script is not there) N times in a fresh process
and records the wall time and the process's CPU time (user + system; less
sensitive to other load on the machine than the wall time), median and max,
with the 1-minute load average before and after the case:

- ``--help`` and ``jobs --help`` (target: median wall ≤ 0.5 s on a quiet machine),
- ``jobs``: listing the jobs on a fresh, initialised home on SQLite (it needs the
  database; for context, with the modules that cost most in one ``-X importtime`` run).

``--compare-ref REF`` also measures the help cases on the package as committed at
a git ref (``git archive``, into a temporary directory; the working tree is not touched).

    .venv/bin/python benchmarks/cli_startup.py [--runs 15] [--compare-ref HEAD] [--out benchmarks/results/cli_startup.json]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, RESULTS, SHARED_NOTE, dump_json, library_versions, loadavg, machine_info, now_iso

TARGET_S = 0.5
HELP_CASES = {"--help": ["--help"], "jobs --help": ["jobs", "--help"]}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOML_CANVAS_") and k != "DATABASE_URL"}
    return {**env, **extra}


def _command() -> list[str]:
    script = Path(sys.executable).parent / "automl-canvas"
    return [str(script)] if script.exists() else [sys.executable, "-m", "automl_canvas.cli"]


def _run_once(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run (CPU from the child's own rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(cmd: list[str], runs: int, env: dict[str, str], cwd: Path = REPO) -> dict:
    _run_once(cmd, env, cwd)  # warm the file cache and the bytecode cache; not counted
    load_before = loadavg()
    walls, cpus = zip(*(_run_once(cmd, env, cwd) for _ in range(runs)))
    return {
        "command": " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd)),
        "runs": runs,
        "wall_s": {"median": round(statistics.median(walls), 4), "min": round(min(walls), 4), "max": round(max(walls), 4)},
        "cpu_s": {"median": round(statistics.median(cpus), 4), "max": round(max(cpus), 4)},
        "load_before": load_before,
        "load_after": loadavg(),
    }


#: Where a database command's start-up goes (each module's cumulative import time, where it is first imported).
WATCHED = ("click", "pydantic", "pydantic_settings", "sqlalchemy", "sqlmodel", "automl_canvas.models",
           "automl_canvas.audit", "automl_canvas.auth.passwords", "numpy", "pandas")


def import_costs(args: list[str], env: dict[str, str], top: int = 8) -> dict:
    """From one ``-X importtime`` run: the imports the command made itself (nesting level 0) with the largest
    cumulative time, and the cumulative time of each WATCHED module (absent: not imported)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "automl_canvas.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=True)
    direct, watched = [], {}
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        ms, name = round(int(parts[1]) / 1000, 1), parts[2].strip()
        if not parts[2].startswith("  "):  # " name": imported by the command itself
            direct.append({"module": name, "cumulative_ms": ms})
        if name in WATCHED:
            watched[name] = ms
    return {"direct": sorted(direct, key=lambda r: -r["cumulative_ms"])[:top], "watched_ms": watched}


def _committed_tree(ref: str, into: Path) -> Path:
    """The ``automl_canvas`` package as committed at ``ref``, extracted under ``into``."""
    data = subprocess.run(["git", "archive", "--format=tar", ref, "automl_canvas"], cwd=REPO, capture_output=True,
                          check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15, help="Runs per case (the median is reported).")
    ap.add_argument("--compare-ref", default=None, metavar="REF", help="Also measure the help cases at this git ref.")
    ap.add_argument("--out", type=Path, default=RESULTS / "cli_startup.json")
    args = ap.parse_args()

    cmd = _command()
    env = _clean_env()
    record = {"benchmark": "cli_startup", "date": now_iso(), "machine": machine_info(), "versions": library_versions(),
              "note": SHARED_NOTE, "target_median_wall_s": TARGET_S, "load_start": loadavg(), "cases": {}}
    for name, case_args in HELP_CASES.items():
        record["cases"][name] = measure([*cmd, *case_args], args.runs, env)
        record["cases"][name]["meets_target"] = record["cases"][name]["wall_s"]["median"] <= TARGET_S

    home = Path(tempfile.mkdtemp(prefix="canvas-bench-cli-"))
    try:
        db_env = _clean_env(AUTOML_CANVAS_HOME=str(home))
        subprocess.run([*cmd, "init"], env=db_env, cwd=REPO, check=True, capture_output=True, timeout=300)
        record["cases"]["jobs"] = measure([*cmd, "jobs"], args.runs, db_env)
        record["cases"]["jobs"]["database"] = "sqlite (fresh home, no jobs)"
        record["cases"]["jobs"]["import_costs"] = import_costs(["jobs"], db_env)
    finally:
        shutil.rmtree(home, ignore_errors=True)

    if args.compare_ref:
        with tempfile.TemporaryDirectory(prefix="canvas-bench-cli-ref-") as tmp:
            tree = _committed_tree(args.compare_ref, Path(tmp))
            ref_env = _clean_env(PYTHONPATH=str(tree))
            rev = subprocess.run(["git", "rev-parse", "--short", args.compare_ref], cwd=REPO, capture_output=True,
                                 text=True, check=True).stdout.strip()
            record["compare"] = {"ref": f"{args.compare_ref} ({rev})", "cases": {
                name: measure([sys.executable, "-m", "automl_canvas.cli", *case_args], args.runs, ref_env, cwd=tree)
                for name, case_args in HELP_CASES.items()}}
    record["load_end"] = loadavg()
    dump_json(args.out, record)
    for name, case in record["cases"].items():
        print(f"{name:<12} wall median {case['wall_s']['median']:.3f} s  cpu median {case['cpu_s']['median']:.3f} s  "
              f"load {case['load_before']} -> {case['load_after']}")
    for name, case in record.get("compare", {}).get("cases", {}).items():
        print(f"{name:<12} at {record['compare']['ref']}: wall median {case['wall_s']['median']:.3f} s")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
