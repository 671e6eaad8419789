"""AutoGluon for the quality benchmark, kept out of the product's environment.

AutoGluon is a comparison system, not a dependency of AutoML Canvas: it pins its
own pandas, scikit-learn, LightGBM, XGBoost and CatBoost ranges, which must never
shift what the product is measured with. So it lives in a benchmark-only
virtual environment (``benchmarks/.venv-autogluon``, git-ignored) and runs in a
subprocess with that environment's Python. This one file holds both sides of
that boundary:

- imported by ``quality.py`` (product venv; stdlib at import time, pandas and
  pyarrow inside the functions): ``ensure_venv`` creates or repairs the venv,
  ``run_autogluon`` writes one fold's train/test rows as Parquet plus a JSON
  spec, runs this file in the venv and reads the JSON it writes back;
- run as a script in the AutoGluon venv (``python _autogluon_runner.py SPEC``):
  fits ``TabularPredictor`` on the train rows with the spec's metric, preset and
  time limit, predicts the test rows and writes predictions (or the positive
  class's probabilities), wall times, the version and the leaderboard as JSON.

The score itself is computed by ``quality.py`` with the same function as for the
other systems, so every system is scored by one piece of code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = [
    "AUTOGLUON_VERSION",
    "PRESETS",
    "VENV",
    "ensure_venv",
    "run_autogluon",
    "venv_python",
]

#: The pinned release (the newest 1.x on PyPI when the benchmark was written).
AUTOGLUON_VERSION = "1.6.3"
#: AutoGluon's default preset (``TabularPredictor.fit(presets=None)`` means this).
PRESETS = "medium_quality"
#: Extras named by the benchmark: the gradient-boosting families. No torch-based
#: extra, so AutoGluon's neural-network models are skipped (it says so and goes on).
EXTRAS = "lightgbm,catboost,xgboost"
#: The only torch release pip may take if anything ever asks for one: the CPU
#: build that lies on the machine's disk, never a multi-GB CUDA download.
TORCH_PIN = "torch==2.13.0"
VENV = Path(__file__).resolve().parent / ".venv-autogluon"
METRICS = {"binary": "roc_auc", "regression": "root_mean_squared_error"}


# --------------------------------------------------------------------------- product side
def venv_python(venv: Path = VENV) -> Path:
    return venv / "bin" / "python"


def _installed_version(venv: Path) -> str | None:
    py = venv_python(venv)
    if not py.exists():
        return None
    probe = subprocess.run(
        [str(py), "-c", "import importlib.metadata as m; print(m.version('autogluon.tabular'))"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def ensure_venv(venv: Path = VENV, version: str = AUTOGLUON_VERSION) -> dict[str, Any]:
    """Create (first use) or repair the AutoGluon venv; return what it holds.

    Installs ``autogluon.tabular[lightgbm,catboost,xgboost]==<version>`` with a
    constraint that pins torch to the on-disk CPU build, in case a dependency
    ever asks for torch. Raises ``RuntimeError`` with pip's last lines when the
    install fails.
    """
    found = _installed_version(venv)
    if found != version:
        print(f"AutoGluon venv {venv}: {'has ' + found if found else 'missing'}; installing "
              f"autogluon.tabular[{EXTRAS}]=={version} (first use takes a few minutes)", flush=True)
        if not venv_python(venv).exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        constraints = venv / "benchmark-constraints.txt"
        constraints.write_text(TORCH_PIN + "\n", encoding="utf-8")
        log = venv / "install.log"
        with log.open("w", encoding="utf-8") as fh:
            cmd = [str(venv_python(venv)), "-m", "pip", "install", "--disable-pip-version-check",
                   "-c", str(constraints), f"autogluon.tabular[{EXTRAS}]=={version}"]
            fh.write(" ".join(cmd) + "\n")
            fh.flush()
            rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, check=False).returncode
        if rc != 0:
            tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
            raise RuntimeError(f"installing AutoGluon into {venv} failed (pip exit {rc}; full log {log}):\n{tail}")
        found = _installed_version(venv)
        if found != version:
            raise RuntimeError(f"{venv} should now hold autogluon.tabular {version}, but reports {found!r}")
    probe = subprocess.run(
        [str(venv_python(venv)), "-c",
         "import importlib.metadata as m, platform, json\n"
         "out = {'python': platform.python_version()}\n"
         "for d in ('autogluon.tabular', 'autogluon.core', 'lightgbm', 'catboost', 'xgboost-cpu', 'xgboost',"
         " 'scikit-learn', 'pandas', 'numpy', 'torch'):\n"
         "    try: out[d] = m.version(d)\n"
         "    except m.PackageNotFoundError: pass\n"
         "print(json.dumps(out))"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return {"venv": str(venv), "presets": PRESETS, "extras": EXTRAS, "versions": json.loads(probe.stdout)}


def _write_parquet(df, path: Path) -> None:
    """Parquet without pandas' schema metadata: the venv's older pandas rebuilds dtypes
    from the Arrow types (dictionary -> category, string -> object), whatever pandas wrote it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table.replace_schema_metadata(None), path)


def run_autogluon(train_df, test_df, label: str, task: str, budget: float, *, num_cpus: int = 2,
                  venv: Path = VENV, timeout: float | None = None) -> dict[str, Any]:
    """Fit AutoGluon on ``train_df`` (features + ``label``) in the venv, predict ``test_df``.

    Returns the runner's JSON plus ``process_wall_seconds`` (interpreter start,
    imports and Parquet I/O included). Raises ``RuntimeError`` with the runner's
    last output when it fails or outlives ``timeout`` (default: 5 × budget + 300 s).
    """
    if task not in METRICS:
        raise ValueError(f"AutoGluon runs binary and regression here, not {task!r}")
    with tempfile.TemporaryDirectory(prefix="canvas-autogluon-") as tmp:
        d = Path(tmp)
        _write_parquet(train_df, d / "train.parquet")
        _write_parquet(test_df.drop(columns=[label]), d / "test.parquet")
        spec = {
            "train": str(d / "train.parquet"), "test": str(d / "test.parquet"), "label": label,
            "problem_type": task, "eval_metric": METRICS[task], "time_limit": budget, "presets": PRESETS,
            "num_cpus": num_cpus, "path": str(d / "models"), "out": str(d / "out.json"),
        }
        (d / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        # The same thread policy the product sets in its job children: on a shared machine
        # spinning OpenMP threads would slow AutoGluon's boosters for reasons that are not its own.
        from automl_canvas.threads import WAIT_POLICY  # here: the runner's own process (below) has no automl_canvas

        env = {**os.environ, **WAIT_POLICY}
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([str(venv_python(venv)), str(Path(__file__).resolve()), str(d / "spec.json")],
                                  capture_output=True, text=True, env=env, check=False,
                                  timeout=timeout if timeout is not None else 5 * budget + 300)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"AutoGluon did not finish within {exc.timeout:.0f} s (time_limit {budget:g} s)") from exc
        wall = time.perf_counter() - t0
        if proc.returncode != 0 or not Path(spec["out"]).exists():
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
            raise RuntimeError(f"the AutoGluon runner exited {proc.returncode}:\n{tail}")
        result = json.loads(Path(spec["out"]).read_text(encoding="utf-8"))
    result["process_wall_seconds"] = wall
    result["thread_env"] = dict(WAIT_POLICY)
    return result


# --------------------------------------------------------------------------- venv side
def main(spec_path: str) -> int:
    import importlib.metadata as md

    import pandas as pd
    from autogluon.tabular import TabularPredictor

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    train = pd.read_parquet(spec["train"])
    test = pd.read_parquet(spec["test"])
    t0 = time.perf_counter()
    predictor = TabularPredictor(
        label=spec["label"], problem_type=spec["problem_type"], eval_metric=spec["eval_metric"],
        path=spec["path"], verbosity=0,
    ).fit(train, time_limit=spec["time_limit"], presets=spec["presets"], num_cpus=spec["num_cpus"], num_gpus=0)
    fit_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    out: dict[str, Any] = {"problem_type": predictor.problem_type}
    if predictor.problem_type == "binary":
        positive = predictor.positive_class
        proba = predictor.predict_proba(test, as_multiclass=True)
        out["positive_class"] = positive.item() if hasattr(positive, "item") else positive
        out["proba_positive"] = [float(v) for v in proba[positive]]
    else:
        out["predictions"] = [float(v) for v in predictor.predict(test)]
    predict_seconds = time.perf_counter() - t1
    board = predictor.leaderboard(silent=True)
    out.update({
        "autogluon_version": md.version("autogluon.tabular"),
        "presets": spec["presets"],
        "time_limit": spec["time_limit"],
        "num_cpus": spec["num_cpus"],
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "model_best": predictor.model_best,
        "models_trained": len(board),
        "leaderboard": [
            {"model": str(r["model"]), "score_val": float(r["score_val"]), "fit_time": float(r["fit_time"])}
            for _, r in board.head(12).iterrows()
        ],
    })
    Path(spec["out"]).write_text(json.dumps(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python _autogluon_runner.py SPEC.json  (run by quality.py in the AutoGluon venv)", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[1]))
