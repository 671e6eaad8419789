"""The sentence rules of automl_canvas/registry/plain_language.py on hand-checked numbers.

Performance details come from the real ``performance_detail`` on small arrays whose
confusion matrix is written out here, so every count in a sentence can be checked by hand.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from automl_canvas.evidence.performance import performance_detail
from automl_canvas.registry import plain_language as pl


def version(task="binary", target="churned", **kw):
    values = {"task": task, "target": target, "metrics": {"model": {"accuracy": 0.83}, "baseline": {"accuracy": 0.75}},
              "feature_schema": {"input_columns": ["tenure", "contract"], "columns": {
                  "tenure": {"kind": "numeric", "median": 19.0, "integer": True},
                  "contract": {"kind": "categorical", "values": ["Monthly", "Yearly"], "most_common": "Monthly"}}},
              "notes": [], "leakage_suspects": [], "recipe": {}}
    values.update(kw)
    return SimpleNamespace(**values)


def binary_detail(tn, fp, fn, tp):
    """Labels 0/1 with exactly this confusion matrix (rows actual, columns predicted)."""
    y = np.array([0] * (tn + fp) + [1] * (fn + tp))
    pred = np.array([0] * tn + [1] * fp + [0] * fn + [1] * tp)
    proba = np.column_stack([1 - (pred * 0.8 + 0.1), pred * 0.8 + 0.1])
    return performance_detail("binary", y, proba, pred, ["No", "Yes"])


def test_binary_metrics_in_words_are_precision_and_recall_per_100():
    detail = binary_detail(tn=400, fp=29, fn=30, tp=71)  # precision 71/100, recall 71/101
    lines = pl.metrics_in_words(version(), detail, "customers")
    assert ("On 530 customers it had never seen, it is right about 83 times in 100; always guessing the most common "
            "answer would be right 75 times in 100.") in lines
    assert "Out of 100 customers it flags as churned = 'Yes', about 71 really are." in lines
    assert "Of every 100 customers that really are 'Yes', it finds about 70." in lines
    assert any("ranks the 'Yes' one higher" in line for line in lines)


def test_binary_mistakes_name_the_counts_and_the_commoner_mistake():
    lines = pl.mistakes_in_words(version(), binary_detail(tn=400, fp=10, fn=40, tp=50), "customers")
    assert lines[0] == "Its most common mistake is missing a 'Yes'."
    assert "It misses 40 of the 90 customers that really were 'Yes' (about 44 in 100)." in lines
    assert "It wrongly flags 10 of the 410 customers that were 'No' as 'Yes' (about 2 in 100)." in lines
    lines = pl.mistakes_in_words(version(), binary_detail(tn=300, fp=60, fn=5, tp=50))
    assert lines[0] == "Its most common mistake is a false alarm: calling a 'No' 'Yes'."


def test_multiclass_mistakes_list_the_biggest_confusions_first():
    y = np.array([0] * 10 + [1] * 10 + [2] * 10)
    pred = np.array([0] * 10 + [1] * 4 + [2] * 6 + [2] * 9 + [0])
    proba = np.eye(3)[pred] * 0.7 + 0.1
    detail = performance_detail("multiclass", y, proba, pred, ["a", "b", "c"])
    v = version(task="multiclass", target="kind")
    assert pl.mistakes_in_words(v, detail)[0] == "It called 6 of the 10 'b' rows 'c'."
    assert any("recognises 'a' best (100 in 100 found) and 'b' worst (40 in 100 found)" in s for s in pl.metrics_in_words(v, detail))


def test_regression_words_use_mae_spread_and_the_worst_decile():
    y = np.arange(100, dtype=float)
    pred = np.where(y > 89, y - 20, y)  # the top ten are estimated 20 too low, among the 70s
    detail = performance_detail("regression", y, None, pred, [])
    v = version(task="regression", target="price", metrics={"model": {"mae": 2.0, "r2": 0.9}, "baseline": {"mae": 25.0}})
    words = pl.metrics_in_words(v, detail)
    assert words[0] == ("On 100 rows it had never seen, its estimates of price are off by about 2.0 on average; always "
                        "guessing the average would be off by 25.0.")
    assert "It explains about 90 % of the differences in price between rows." in words
    # sorted by estimate, the decile holding 70-73 (5 of them really 90-93) is off most: 72 on average vs 82
    assert pl.mistakes_in_words(v, detail) == [("It under-estimates most for its highest estimates: there it says 72.0 on "
                                                "average where the truth is 82.0.")]


def test_mistakes_before_the_evidence_is_ready_say_so():
    assert "not ready yet" in pl.mistakes_in_words(version(), None)[0]


@pytest.mark.parametrize(("p", "label"), [(0.97, "Very confident"), (0.9, "Very confident"), (0.8, "Confident"),
                                          (0.62, "Leaning"), (0.51, "Unsure")])
def test_confidence_labels(p, label):
    got, sentence = pl.confidence_label("binary", p)
    assert got == label
    assert f"{round(p * 100)}" in sentence
    if label == "Unsure":
        assert "treat it as a guess" in sentence


def test_regression_confidence_is_the_typical_error():
    assert pl.confidence_label("regression", None, 1234.5) == ("Estimate", "Estimates like this are typically off by about 1,234.")


def test_reasons_follow_the_predicted_output_and_skip_zero_contributions():
    result = {"prediction": {"prediction": "Yes", "confidence": 0.7}, "explanation": [{"output": "Yes", "contributions": [
        {"column": "contract", "feature_value": "Monthly", "contribution": 0.9},
        {"column": "tenure", "feature_value": 3, "contribution": -0.2},
        {"column": "region", "feature_value": "N", "contribution": 0.0},
        {"column": "calls", "feature_value": 5.0, "contribution": 0.1}]}]}
    assert pl.reasons_in_words(version(), result) == ["contract = 'Monthly' raises the chance of 'Yes'.",
                                                      "tenure = 3 lowers the chance of 'Yes'.",
                                                      "calls = 5 raises the chance of 'Yes'."]


def test_regression_reasons_name_the_estimate_and_fractions_stay_fractions():
    result = {"prediction": {"prediction": 12.0}, "explanation": [{"output": "price", "contributions": [
        {"column": "rooms", "feature_value": 3.0, "contribution": 2.0},
        {"column": "age", "feature_value": 0.25, "contribution": -1.0}]}]}
    assert pl.reasons_in_words(version(task="regression", target="price"), result) == [
        "rooms = 3 raises the estimate of price.", "age = 0.25 lowers the estimate of price."]


def test_metric_choices_are_explained_in_one_line():
    assert pl.metric_in_words("roc_auc", "ROC AUC", "Yes", "No") == "ROC AUC: how well it ranks the 'Yes' cases above the 'No' cases"
    assert pl.metric_in_words("log_loss", "log loss").startswith("log loss: how honest its chances are")
    assert pl.metric_in_words("unknown", "odd") == "odd"


def test_best_so_far_is_a_sentence_not_a_bare_score():
    assert pl.best_so_far_in_words("roc_auc", "ROC AUC", 0.797, positive="Yes", negative="No") == \
        "Best model so far: ranks a 'Yes' case above a 'No' one 80 times in 100 (a coin flip: 50)."
    assert pl.best_so_far_in_words("log_loss", "log loss", 0.41234, finished=True) == \
        "Best model found: log loss 0.412 (lower is better)."
    # a finished build quotes the delivered model's holdout score, in the words the Results page uses for it
    assert pl.best_so_far_in_words("roc_auc", "ROC AUC", 0.853, True, "Yes", "No", tested=True) == (
        "The delivered model, on rows it never saw while it was built: ranks a 'Yes' case above a 'No' one "
        "85 times in 100 (a coin flip: 50).")
    assert pl.best_so_far_in_words("accuracy", "accuracy", 0.91, True, tested=True).endswith("right 91 times in 100.")


def test_a_quick_build_is_never_told_to_use_a_smaller_budget():
    err = {"code": "time_limit", "message": "The job ran past its hard limit of 90 s and did not finish. "
                                            "Try a smaller time budget or a smaller dataset."}
    words = pl.build_failure_in_words(err, 60, 60)
    assert "smaller time budget" not in words and "fewer rows" in words
    lost = {"code": "worker_lost", "message": "It was given up. Try again, or with a smaller time budget or dataset."}
    assert pl.build_failure_in_words(lost, 300, 60) == "It was given up."
    assert pl.build_failure_in_words(None, None, 60) == "The worker reported an error."


def test_version_status_labels_come_from_one_place_and_in_use_wins():
    assert pl.version_status_label("pending_review") == "waiting for review"
    assert pl.version_status_label("pending_review", in_use=True) == "in use"
    assert pl.version_status_label("retired", in_use=True) == "retired"
    assert set(pl.VERSION_STATUS_LABELS) == set(pl.REVIEW_STATUS_WORDS)


def test_drivers_are_shares_of_the_total_influence():
    top = pl.drivers({"top_features": [{"column": "a", "mean_abs_shap": 3.0}, {"column": "b", "mean_abs_shap": 1.0},
                                       {"column": "c", "mean_abs_shap": 0.0}]})
    assert [d["column"] for d in top] == ["a", "b"]
    assert [d["share"] for d in top] == [0.75, 0.25]
    assert top[0]["sentence"] == "a accounts for about 75 % of what moves its predictions."


def test_warnings_that_apply_only_for_used_columns_plus_leakage_and_notes():
    profile = {"findings": [
        {"code": "high_missing", "severity": "warning", "message": "`tenure` is 40 % empty.", "fix": "Fill it.", "column": "tenure"},
        {"code": "id_like", "severity": "warning", "message": "`id` is an id.", "fix": "Dropped.", "column": "id"},
        {"code": "datetime_detected", "severity": "info", "message": "dates", "fix": "", "column": "contract"}]}
    v = version(notes=[{"severity": "warning", "message": "3 rare outcomes were left out."}, {"severity": "info", "message": "x"}])
    out = pl.warnings_that_apply(v, profile, ["contract", "unused"])
    assert out[0].startswith("`contract` predicts churned almost perfectly on its own")
    assert out[1:] == ["`tenure` is 40 % empty. Fill it.", "3 rare outcomes were left out."]


def test_batch_columns_report_names_missing_and_extra():
    rep = pl.batch_columns_report(version(), ["contract", "customer_id"])
    assert rep["missing"] == ["tenure"] and rep["extra"] == ["customer_id"] and not rep["ok"]
    assert rep["sentences"][0].startswith("The file lacks 1 column(s) the model needs: tenure.")
    assert pl.batch_columns_report(version(), ["tenure", "contract"]) == {"missing": [], "extra": [], "sentences": [], "ok": True}


def test_typical_row_and_what_if_change():
    assert pl.typical_row(version().feature_schema) == {"tenure": 19, "contract": "Monthly"}
    before = {"prediction": {"prediction": "No", "confidence": 0.6}}
    assert pl.what_if_change(version(), before, {"prediction": {"prediction": "Yes", "confidence": 0.7}}, ["contract"]) == \
        "Changing contract flipped the prediction from 'No' to 'Yes'."
    assert pl.what_if_change(version(), before, {"prediction": {"prediction": "No", "confidence": 0.8}}, ["tenure"]) == \
        "Changing tenure still gives 'No', now with 80 chances in 100 instead of 60."
    reg = version(task="regression", target="price")
    assert pl.what_if_change(reg, {"prediction": {"prediction": 10.0}}, {"prediction": {"prediction": 7.5}}, ["rooms"]) == \
        "Changing rooms moved the estimate down by 2.5."


def test_review_status_in_words():
    assert pl.review_status_in_words("in_review", "sam") == "sam is reviewing it now."
    assert "asked for changes" in pl.review_status_in_words("changes_requested")
    assert set(pl.REVIEW_STATUS_WORDS) == {s.value for s in __import__("automl_canvas.review", fromlist=["ReviewState"]).ReviewState}
