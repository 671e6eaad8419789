"""The approval policy's fairness gates on real database rows and stored evidence (issue 15, point 4).

A mitigated candidate that widened its gap fails ``mitigation_not_worse``; a model that flags almost nobody
fails ``fairness_selection:<column>`` although its parity difference passes ``fairness:<column>``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from automl_canvas.db import session_scope
from automl_canvas.evidence import store
from automl_canvas.fairness import WORSE, compare
from automl_canvas.models import Evidence, ModelVersion
from automl_canvas.review.policy import evaluate_policy

from .test_verdicts import BEFORE, FLAGS_NOBODY, NARROWED, WIDENED, _report


@pytest.fixture
def dataset_id(engine, settings, analyst, project, tmp_path):
    from automl_canvas.datasets.service import ingest_file

    path = tmp_path / "tiny.csv"
    pd.DataFrame({"x": range(30), "group": ["a", "b"] * 15, "outcome": ["yes", "no", "no"] * 10}).to_csv(path, index=False)
    return ingest_file(engine, settings, analyst, project.id, path).id


def _version(s, project, analyst, dataset_id, number: int, **kw) -> ModelVersion:
    row = ModelVersion(project_id=project.id, dataset_id=dataset_id, version=number, created_by_id=analyst.id, task="binary",
                       target="outcome", metric="roc_auc", higher_is_better=True, best_learner="lgbm", holdout_score=0.80,
                       baseline_score=0.5, default_model_score=0.7, artifact_sha256="0" * 64, artifact_path="models/none",
                       **kw)
    s.add(row)
    s.flush()
    return row


def _checks(s, settings, row) -> dict[str, dict]:
    return {c.name: c.to_dict() for c in evaluate_policy(s, settings, row)}


def _mitigation_recipe(before, after, auc_before: float, auc_after: float) -> dict:
    comparison = compare(_report(before), _report(after), {"roc_auc": auc_before}, {"roc_auc": auc_after})
    return {"seed": 0, "sensitive_columns": [], "mitigation": {
        "parent_version_id": None, "sensitive_column": "group", "constraint": "demographic_parity",
        "comparison": {k: comparison[k] for k in ("performance", "fairness")}}}


def test_a_widening_mitigated_candidate_fails_the_policy_and_a_narrowing_one_passes(engine, settings, project, analyst,
                                                                                      dataset_id):
    with session_scope(engine) as s:
        worse = _version(s, project, analyst, dataset_id, 1, origin="mitigation",
                         recipe=_mitigation_recipe(BEFORE, WIDENED, 0.82, 0.74))
        better = _version(s, project, analyst, dataset_id, 2, origin="mitigation",
                          recipe=_mitigation_recipe(BEFORE, NARROWED, 0.82, 0.815))
        plain = _version(s, project, analyst, dataset_id, 3, recipe={"seed": 0})
        bad, good, none = _checks(s, settings, worse), _checks(s, settings, better), _checks(s, settings, plain)
    check = bad["mitigation_not_worse"]
    assert check["passed"] is False and check["overridable"] is True
    assert WORSE in check["message"] and "**widened** from 0.060 to 0.084" in check["message"]
    assert "fell from 0.820 to 0.740, a loss of 0.080 (limit 0.020)" in check["message"]
    assert check["value"] == pytest.approx(0.08) and check["threshold"] == settings.mitigation_max_metric_loss == 0.02
    assert good["mitigation_not_worse"]["passed"] is True and "narrowed from 0.060 to 0.020" in good["mitigation_not_worse"]["message"]
    assert "mitigation_not_worse" not in none  # only mitigated candidates are held to their parent


def test_the_metric_loss_limit_is_a_setting(engine, settings, project, analyst, dataset_id):
    lenient = settings.model_copy(update={"mitigation_max_metric_loss": 0.1})
    with session_scope(engine) as s:
        row = _version(s, project, analyst, dataset_id, 1, origin="mitigation", recipe=_mitigation_recipe(BEFORE, NARROWED, 0.82, 0.74))
        assert _checks(s, settings, row)["mitigation_not_worse"]["passed"] is False
        assert _checks(s, lenient, row)["mitigation_not_worse"]["passed"] is True


def test_degenerate_selection_fails_the_gate_although_the_parity_difference_passes(engine, settings, project, analyst,
                                                                                    dataset_id):
    files = {"report": store.save_json(settings, _report(FLAGS_NOBODY).to_dict())}
    healthy = {"report": store.save_json(settings, _report(BEFORE).to_dict())}
    with session_scope(engine) as s:
        nobody = _version(s, project, analyst, dataset_id, 1, recipe={"seed": 0, "sensitive_columns": ["group"]})
        fine = _version(s, project, analyst, dataset_id, 2, recipe={"seed": 0, "sensitive_columns": ["group"]})
        s.add(Evidence(version_id=nobody.id, kind="fairness", summary={}, files=files))
        s.add(Evidence(version_id=fine.id, kind="fairness", summary={}, files=healthy))
        s.flush()
        checks, ok = _checks(s, settings, nobody), _checks(s, settings, fine)
    assert checks["fairness:group"]["passed"] is True and checks["fairness:group"]["value"] == pytest.approx(0.024)
    gate = checks["fairness_selection:group"]
    assert gate["passed"] is False and gate["value"] == ["b", "b"]
    assert "group = b: predicted 'yes' for 0.6%" in gate["message"] and "flags almost nobody" in gate["message"]
    assert gate["threshold"] == {"min_selection_rate": 0.01, "min_tpr": 0.10}
    assert ok["fairness_selection:group"]["passed"] is True
