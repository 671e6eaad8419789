"""Batch predictions through the core the Batch page calls: extra columns pass through, missing ones are named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_canvas.errors import ValidationError
from automl_canvas.serving.batch import predict_upload

from ...conftest import SAMPLE_DATA


def test_predict_upload_adds_prediction_and_confidence(analyst_world, tmp_path):
    w = analyst_world
    path = tmp_path / "to_score.csv"
    pd.read_csv(SAMPLE_DATA / "churn.csv").drop(columns=["churned"]).head(50).assign(note="x").to_csv(path, index=False)
    result = predict_upload(w.engine, w.settings, w.user, w.version.id, path)
    assert len(result.frame) == 50
    assert {"prediction", "confidence", "probability_Yes"} <= set(result.frame.columns)
    # the confidence is the chance of what it says, at the version's stored cut-off
    said = np.where(result.frame["prediction"] == "Yes", result.frame["probability_Yes"], 1 - result.frame["probability_Yes"])
    assert np.allclose(result.frame["confidence"], said)
    assert result.extra_columns == ["customer_id", "note"]
    assert "passed through unchanged: customer_id, note." in result.notes[0]


def test_predict_upload_names_missing_columns(analyst_world, tmp_path):
    w = analyst_world
    path = tmp_path / "short.csv"
    pd.read_csv(SAMPLE_DATA / "churn.csv").drop(columns=["contract", "tenure_months"]).head(5).to_csv(path, index=False)
    with pytest.raises(ValidationError, match=r"lacks 2 column\(s\) the model needs: tenure_months, contract\. Add them"):
        predict_upload(w.engine, w.settings, w.user, w.version.id, path)
