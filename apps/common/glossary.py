"""The words both apps use, explained once: the glossary page each app links to from its sidebar.

Metric lines come from the core (``automl_canvas.registry.plain_language.METRIC_WORDS``), so the glossary,
the Build page's "Judge models by" choices and the review dashboard say the same thing.
"""

from __future__ import annotations

import streamlit as st

from automl_canvas.registry.plain_language import metric_in_words
from automl_canvas.training.metrics import resolve_metric

__all__ = ["TERMS", "render_glossary"]

#: term -> one or two plain sentences.  Sorted on the page; add a term here, never inline on a page.
TERMS: dict[str, str] = {
    "Model": "A recipe learned from your table that, given the other columns of a new row, guesses the column to predict.",
    "Column to predict (target)": "The column whose value the model learns to guess, such as 'churned'.",
    "Holdout (test rows)": "Rows kept aside while the model is built and used only to measure it, "
                           "so its scores are what to expect on new rows.",
    "Simple guess (baseline)": "Always answering the most common value (or the average): a model must beat it to be useful.",
    "Standard model": "A well-tried default model the search has to beat; when the search's best is not clearly "
                      "better, the standard model is delivered.",
    "Best model so far": "When the time budget runs out, the build delivers the best model it found in that time.",
    "Time budget": "How long the search may try different models: Quick is about a minute, Standard about five.",
    "Cut-off ('When it says Yes')": "The chance above which the model answers 'Yes'. A lower cut-off finds more "
                                    "'Yes' cases but raises more false alarms.",
    "False alarm (false positive)": "The model says 'Yes' where the truth is 'No'.",
    "Miss (false negative)": "The model says 'No' where the truth is 'Yes'.",
    "Driver": "A column that moves the model's predictions; its share says how much of the movement it accounts for.",
    "Leakage": "A column that is only known after the fact (such as 'cancellation date' when predicting churn): it "
               "makes a model look perfect in testing and fail in use.",
    "Fairness check": "Compares how often each group (for example each gender) gets the good answer; the four-fifths "
                      "rule flags a group that gets it less than 80 % as often as the best-off group.",
    "Review": "A data scientist checks the model before it may be used: approve, reject or ask for changes.",
    "Deploy": "Put an approved model into production, where it makes predictions for real decisions.",
    "Feasibility score": "0 to 100: whether machine learning is worth it for a project, from data readiness, how "
                         "much better than a simple rule a quick model does, and the business value.",
    "Worker": "The background process that builds models and computes explanations; when all are busy, a job waits its turn.",
}

#: Metrics explained in the glossary, by task (name as the core knows it).
_METRICS = {"binary": ("roc_auc", "ap", "log_loss", "accuracy", "f1"), "regression": ("mae", "rmse", "r2")}


def render_glossary() -> None:
    st.title("Glossary")
    st.caption("The words these screens use, in plain language.")
    for term in sorted(TERMS, key=str.lower):
        st.markdown(f"**{term}**: {TERMS[term]}")
    st.subheader("Ways to judge a model")
    for task, names in _METRICS.items():
        for name in names:
            st.markdown(f"- {metric_in_words(name, resolve_metric(task, name).label, 'Yes', 'No')}")
