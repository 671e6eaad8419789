"""The command line starts light: asking for help, or listing jobs, imports no
ML library and no web framework (the modules Python actually imported, read
from ``python -X importtime``; a behavioural check, not a timing one — the
wall times are measured by benchmarks/cli_startup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import REPO

#: Imported by no help screen and not by `automl-canvas jobs`.
HEAVY = ("pandas", "numpy", "sklearn", "flaml", "lightgbm", "xgboost", "shap", "fairlearn", "streamlit", "fastapi")
#: Help needs neither the settings nor the database either.
NOT_FOR_HELP = (*HEAVY, "sqlalchemy", "sqlmodel", "pydantic_settings", "argon2")
#: Their --delivery and --freshness choices are read from the feasibility package, which loads the ML stack.
HELP_LOADS_FEASIBILITY = ("feasibility", "inputs")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOML_CANVAS_") and k != "DATABASE_URL"}
    return {**env, "PYTHONPATH": str(REPO), **extra}


def _run(python_args: list[str], env: dict[str, str] | None = None, code: int = 0) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, *python_args], cwd=REPO, env=env or _env(), capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == code, proc.stderr[-3000:]
    return proc


def _imported(args: list[str], env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """Top-level names of the modules ``automl-canvas ARGS`` imported, and its stdout."""
    proc = _run(["-X", "importtime", "-m", "automl_canvas.cli", *args], env)
    names = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}
    return names, proc.stdout


@pytest.mark.parametrize("args", [["--help"], ["jobs", "--help"], ["review", "--help"], ["users", "--help"],
                                  ["monitor", "--help"], ["store", "--help"], ["train", "--help"]],
                         ids=lambda a: " ".join(a))
def test_help_imports_no_heavy_module(args):
    names, out = _imported(args)
    assert "automl_canvas" in names and out.startswith("Usage: ")  # the check saw the real run
    assert sorted(names & set(NOT_FOR_HELP)) == []


_EVERY_HELP = """
import json, sys
import click
from automl_canvas.cli import main

skip = set(sys.argv[1].split(","))
shown = []

def walk(cmd, path):
    if path and path[0] in skip:
        return
    try:
        main.main([*path, "--help"], prog_name="automl-canvas", standalone_mode=False)
    except SystemExit:
        pass
    shown.append(" ".join(path))
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(None):
            walk(cmd.get_command(None, name), [*path, name])

walk(main, [])
print(json.dumps({"shown": shown, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def test_every_help_screen_in_one_process_imports_no_heavy_module():
    """Root, every command and every subcommand, one after another in one process."""
    proc = _run(["-c", _EVERY_HELP, ",".join(HELP_LOADS_FEASIBILITY)])
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(report["shown"]) > 40 and "review approve" in report["shown"] and "jobs" in report["shown"]
    assert sorted(set(report["modules"]) & set(NOT_FOR_HELP)) == []


def test_feasibility_help_still_lists_the_input_choices():
    """The choices are read late, not dropped: the help shows them and a wrong one is refused by name."""
    from automl_canvas.feasibility.inputs import DELIVERY, FRESHNESS

    proc = _run(["-m", "automl_canvas.cli", "inputs", "--help"])
    assert f"[{'|'.join(DELIVERY)}]" in proc.stdout and f"[{'|'.join(FRESHNESS)}]" in proc.stdout
    bad = _run(["-m", "automl_canvas.cli", "inputs", "P", "--delivery", "fax"], code=2)
    assert "'fax' is not one of 'report', 'batch', 'api', 'embedded'" in bad.stderr


def test_listing_jobs_imports_no_ml_library(tmp_path, pg_database_url):
    env = _env(AUTOML_CANVAS_HOME=str(tmp_path / "home"))
    if pg_database_url:
        env["AUTOML_CANVAS_DATABASE_URL"] = pg_database_url
    _run(["-m", "automl_canvas.cli", "init"], env)
    names, _ = _imported(["jobs"], env)
    assert {"sqlmodel", "automl_canvas"} <= names  # it did reach the database
    assert sorted(names & set(HEAVY)) == []


def test_train_refuses_a_trial_count_out_of_range_before_touching_anything(tmp_path):
    from click.testing import CliRunner

    from automl_canvas.cli import main

    result = CliRunner().invoke(main, ["train", str(tmp_path / "none.csv"), "--target", "y", "--max-trials", "0"])
    assert result.exit_code == 2 and "--max-trials" in result.output and "1<=x<=10000" in result.output
