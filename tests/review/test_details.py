"""What a reviewer reads under the hood (automl_canvas/review/details.py): pure views and the real review world."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from automl_canvas.db import session_scope
from automl_canvas.errors import PermissionDeniedError, ValidationError
from automl_canvas.models import UserPublic
from automl_canvas.review import details


class _Version:
    def __init__(self, leaderboard):
        self.leaderboard = leaderboard


BOARD = [
    {"trial": 2, "learner": "lgbm", "config": {"n_estimators": 9, "learning_rate": 0.3672}, "validation_loss": 0.17,
     "wall_clock_seconds": 1.2, "train_seconds": 0.3, "sample_size": 800, "source": "search", "rank": 1, "chosen": True},
    {"trial": 1, "learner": "xgboost", "config": {"max_depth": 3}, "validation_loss": 0.21, "wall_clock_seconds": 0.5,
     "train_seconds": 0.2, "sample_size": 800, "source": "search", "rank": 3, "chosen": False},
    {"trial": 3, "learner": "lgbm", "config": {"n_estimators": 4}, "validation_loss": float("nan"), "wall_clock_seconds": 1.9,
     "train_seconds": 0.1, "sample_size": 800, "source": "search", "rank": 4, "chosen": False},
    {"trial": -1, "learner": "hist_gradient_boosting_default", "config": {}, "validation_loss": 0.19, "wall_clock_seconds": None,
     "source": "default_model", "rank": 2, "chosen": False},
]


def test_leaderboard_rows_are_ranked_filtered_and_readable():
    rows = details.leaderboard_rows(_Version(BOARD))
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["hyperparameters"] == "learning_rate=0.3672, n_estimators=9"
    assert rows[1]["hyperparameters"] == "(library defaults)" and rows[1]["source"] == "default_model"
    assert [r["rank"] for r in details.leaderboard_rows(_Version(BOARD), "lgbm")] == [1, 4]
    assert details.leaderboard_rows(_Version(BOARD), "rf") == []


def test_search_trajectory_is_in_time_order_with_the_best_so_far():
    traj = details.search_trajectory(_Version(BOARD))
    assert [t["trial"] for t in traj] == [1, 2, 3]  # the default model is not a search trial
    assert [t["best_so_far"] for t in traj] == [0.21, 0.17, 0.17]  # a NaN loss does not reset the best
    assert details.search_trajectory(_Version([])) == []


def test_find_rows_matches_text_case_insensitively_and_numbers_exactly():
    frame = pd.DataFrame({"explained_row": [0, 1, 2], "application_id": ["A-001", "A-002", "B-003"],
                          "region": ["South", "north", "East"], "credit_score": [700.0, 650.0, 7000.0]})
    assert details.find_rows(frame, "a-00")["application_id"].tolist() == ["A-001", "A-002"]
    assert details.find_rows(frame, "NORTH")["explained_row"].tolist() == [1]
    assert details.find_rows(frame, "700")["explained_row"].tolist() == [0, 2]  # 700.0 exactly, and "7000" contains it
    assert details.find_rows(frame, "  ")["explained_row"].tolist() == [0, 1, 2]
    assert details.find_rows(frame, "nowhere").empty
    with pytest.raises(ValidationError):
        details.find_rows(frame, "x" * 201)


def test_library_drift_compares_with_what_is_installed():
    import sklearn

    drift = {d["library"]: d for d in details.library_drift({"scikit-learn": sklearn.__version__, "numpy": "0.0.1",
                                                              "not-a-real-package-xyz": "1.0"})}
    assert drift["scikit-learn"]["same"] is True
    assert drift["numpy"]["same"] is False and drift["numpy"]["installed_now"]
    assert drift["not-a-real-package-xyz"]["installed_now"] is None


# --------------------------------------------------------------------------- on the real review world
def test_data_summary_names_the_split_dropped_and_sensitive_columns(review_world):
    w = review_world
    with session_scope(w.engine) as s:
        d = details.data_summary(s, w.settings, w.users["sam"], w.shared_id)
    assert d["ready"] is True and d["readiness"].startswith("Ready")
    n = d["dataset"]["n_rows"]
    assert sum(d["split"][k] for k in ("train", "validation", "holdout")) == n
    assert d["split"]["holdout"] == round(0.2 * n)
    assert "application_id" in d["dropped_columns"]
    assert d["sensitive_columns"] == [{"column": "gender", "used_as_feature": True}]
    assert any(f["column"] == "application_id" and f["severity"] == "warning" for f in d["findings"])
    assert d["leakage_suspects"] == [] and d["leakage_warnings"] == []


def test_explained_rows_bring_back_the_identifiers_the_model_never_saw(review_world):
    from automl_canvas.evidence.service import get_evidence, load_explanation
    from automl_canvas.registry.service import get_version

    w = review_world
    with session_scope(w.engine) as s:
        version = get_version(s, w.users["sam"], w.shared_id)
        evidence = get_evidence(s, w.users["sam"], w.shared_id, "explanations")
        expl = load_explanation(w.settings, evidence)
        rows = details.explained_rows(s, w.settings, w.users["sam"], version, expl)
    assert len(rows) == expl.n_rows
    assert rows[details.ROW_POSITION].tolist() == list(range(expl.n_rows))
    assert "application_id" in rows.columns and "approved" in rows.columns
    # the joined rows are the explained rows: every feature value agrees
    for col in ("credit_score", "income", "gender"):
        assert rows[col].astype(str).tolist() == expl.data[col].astype(str).tolist()
    some_id = rows["application_id"].iloc[3]
    assert details.find_rows(rows, some_id)[details.ROW_POSITION].tolist() == [3]


def test_reproducibility_record_has_the_recipe_libraries_and_result(review_world):
    w = review_world
    with session_scope(w.engine) as s:
        rec = details.reproducibility_record(s, w.users["sam"], w.shared_id)
    assert rec["recipe"]["seed"] and rec["recipe"]["learner"]
    assert {d["library"] for d in rec["libraries"]} >= {"scikit-learn", "pandas"}
    assert all(d["same"] for d in rec["libraries"] if d["library"] in ("scikit-learn", "pandas", "numpy"))
    result = rec["result"]
    assert result is not None and math.isclose(result["difference"], 0.0, abs_tol=1e-9)
    assert result["verdict"] in ("reproduced exactly", "reproduced within 0")


def test_mitigated_candidates_carry_the_before_after_comparison(review_world):
    w = review_world
    with session_scope(w.engine) as s:
        cands = details.mitigated_candidates(s, w.users["sam"], w.shared_id)
        none = details.mitigated_candidates(s, w.users["sam"], w.deployed_id)
    assert [c["version"].id for c in cands] == [w.deployed_id, w.approved_id, w.in_review_id]
    assert [c["constraint"] for c in cands] == ["demographic_parity", "equalized_odds", "demographic_parity"]
    first = cands[0]["comparison"]
    assert {r["metric"] for r in first["performance"]} >= {"accuracy"}
    assert any(r["feature"] == "gender" and r["measure"] == "demographic_parity_difference" for r in first["fairness"])
    assert none == []


def test_released_versions_list_approvals_and_where_they_run(review_world):
    w = review_world
    with session_scope(w.engine) as s:
        rows = {r["version_id"]: r for r in details.released_versions(s, w.users["dee"])}
    assert w.shared_id not in rows and w.in_review_id not in rows
    deployed = rows[w.deployed_id]
    assert deployed["status"] == "deployed" and deployed["running_in"] == "production"
    assert deployed["approved_by"] == "sam" and deployed["overridden"] is True
    assert deployed["deployments"][0]["reference"] == "release-1"


def test_reads_need_a_role(review_world):
    w = review_world
    nobody = UserPublic.model_validate({**w.users["ana"].model_dump(), "roles": ""})
    with session_scope(w.engine) as s, pytest.raises(PermissionDeniedError):
        details.data_summary(s, w.settings, nobody, w.shared_id)
