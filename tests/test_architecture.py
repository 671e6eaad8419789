"""The layers hold (docs/architecture.md): the import-linter contracts pass, and project imports stay at module level.

An import inside a function hides a dependency from the reader and from the contracts' intent, and it is how the
old cycles were kept alive. So a function-level import of an ``automl_canvas`` module is allowed only where it
keeps a process light (the CLI's start-up, the job's process, the worker's parent) or loads a heavy library;
each such place is listed below with why. Third-party imports (FLAML, SHAP, fairlearn, boto3…) are not counted.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "automl_canvas"

#: Importer modules whose function-level project imports are all allowed, and why.
ALLOWED_IMPORTERS: dict[str, str] = {
    "automl_canvas.cli": "CLI start-up: `automl-canvas --help` and `jobs` start in <= 0.5 s, so each command "
                         "imports what it calls (tests/test_cli_startup.py)",
}

#: (importer, imported) pairs allowed to import inside a function, and why.
ALLOWED_IMPORTS: dict[tuple[str, str], str] = {
    ("automl_canvas.training.search", "automl_canvas.training.flaml_learners"):
        "FLAML, LightGBM and XGBoost load only when a search runs or a searched learner is rebuilt",
    ("automl_canvas.jobs.position", "automl_canvas.training.spec"):
        "CLI start-up: `automl-canvas jobs` shows queue positions; training.spec loads pandas and scikit-learn",
    ("automl_canvas.runner.child", "automl_canvas.runner.execute"):
        "the job's process ties itself to its worker before anything else loads (runner/child.py)",
    ("automl_canvas.runner.worker", "automl_canvas.webhooks"):
        "the worker's parent process stays light: it loads the webhook dispatcher only when it runs it",
    ("automl_canvas.runner.worker", "automl_canvas.monitoring.service"):
        "the worker's parent process stays light: it loads the monitoring scheduler only when it runs it",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _target(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def function_level_imports() -> list[tuple[str, str, int]]:
    """(importer, imported, line) for every import of an ``automl_canvas`` module inside a function."""
    found: list[tuple[str, str, int]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module, is_package = _module_name(path), path.name == "__init__.py"

        def visit(node: ast.AST, in_function: bool, module: str = module, is_package: bool = is_package) -> None:
            for child in ast.iter_child_nodes(node):
                if in_function and isinstance(child, ast.ImportFrom):
                    target = _target(child, module, is_package)
                    if target.split(".")[0] == "automl_canvas":
                        found.append((module, target, child.lineno))
                elif in_function and isinstance(child, ast.Import):
                    found.extend((module, a.name, child.lineno) for a in child.names if a.name.split(".")[0] == "automl_canvas")
                visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

        visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


def _allowed_by_importer(module: str) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in ALLOWED_IMPORTERS)


def test_function_level_project_imports_are_only_the_listed_ones():
    found = function_level_imports()
    assert found, "the scan found no function-level imports at all: it is no longer looking at automl_canvas/"
    new = [f"{imp}:{line} imports {tgt}" for imp, tgt, line in found
           if not _allowed_by_importer(imp) and (imp, tgt) not in ALLOWED_IMPORTS]
    assert not new, ("Imports of automl_canvas modules inside functions that are not in the allow-list of "
                     "tests/test_architecture.py; move them to the top of the module (if that makes a cycle, the "
                     "code is in the wrong layer: see docs/architecture.md) or list the pair there with why:\n  "
                     + "\n  ".join(new))


def test_the_allow_list_has_no_stale_entries():
    pairs = {(imp, tgt) for imp, tgt, _ in function_level_imports()}
    stale = [f"{imp} -> {tgt}" for imp, tgt in ALLOWED_IMPORTS if (imp, tgt) not in pairs]
    assert not stale, "Allow-listed function-level imports that no longer exist; remove them:\n  " + "\n  ".join(stale)


def _lint_imports() -> str | None:
    beside = Path(sys.executable).with_name("lint-imports")
    return str(beside) if beside.exists() else shutil.which("lint-imports")


def test_import_linter_contracts_pass():
    tool = _lint_imports()
    if tool is None:
        message = "lint-imports (import-linter, in the dev extra) is not installed; install requirements/dev.txt"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the layer contracts)")
        pytest.skip(message)
    run = subprocess.run([tool, "--no-cache"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"The layer contracts in pyproject.toml are broken:\n{run.stdout}\n{run.stderr}"
