"""Every number an analyst sees, as a sentence: metrics, mistakes, confidence, reasons, drivers.

These are rules ("how confident is 0.62?", "which mistake matters?"), so they
live in the core where they are tested once and read the same in every door.
Inputs are what the core stores: the version, its performance evidence's
``detail`` document, its explanations summary, a what-if result.
"""

from __future__ import annotations

from typing import Any

from ..training.operating_point import detail_at

__all__ = [
    "CONFIDENCE_LABELS",
    "METRIC_WORDS",
    "REVIEW_STATUS_WORDS",
    "VERSION_STATUS_LABELS",
    "batch_columns_report",
    "best_so_far_in_words",
    "build_failure_in_words",
    "confidence_label",
    "drivers",
    "metric_in_words",
    "metrics_in_words",
    "mistakes_in_words",
    "operating_point_in_words",
    "prediction_in_words",
    "product_decisions_in_words",
    "reasons_in_words",
    "review_status_in_words",
    "typical_row",
    "version_status_label",
    "warnings_that_apply",
    "what_if_change",
]

#: (lowest probability of the predicted outcome, label), most confident first.
CONFIDENCE_LABELS: tuple[tuple[float, str], ...] = (
    (0.90, "Very confident"),
    (0.75, "Confident"),
    (0.60, "Leaning"),
    (0.0, "Unsure"),
)


def _in_100(x: float) -> int:
    return round(100 * float(x))


def _num(x: float) -> str:
    x = float(x)
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.1f}"
    return f"{x:.3g}"


def _binary_words(version, detail: dict, noun: str) -> list[str]:
    pos = detail.get("positive_class") or detail["classes"][-1]
    t = version.target
    per = {c["class"]: c for c in detail.get("per_class", [])}
    out = []
    p = per.get(pos)
    if p and p["support"]:
        out.append(f"Out of 100 {noun} it flags as {t} = '{pos}', about {_in_100(p['precision'])} really are.")
        out.append(f"Of every 100 {noun} that really are '{pos}', it finds about {_in_100(p['recall'])}.")
    auc = (detail.get("roc") or {}).get("auc")
    if auc is not None:
        out.append(f"Given one '{pos}' and one other, it ranks the '{pos}' one higher {_in_100(auc)} times in 100 "
                   "(a coin flip would manage 50).")
    return out


def metrics_in_words(version, detail: dict | None, noun: str = "rows") -> list[str]:
    """The holdout metrics as sentences a person can act on ("out of 100 customers it flags, ...")."""
    m, base = (version.metrics or {}).get("model", {}), (version.metrics or {}).get("baseline", {})
    n = (detail or {}).get("n_rows")
    tested = f"On {n:,} {noun} it had never seen, " if n else "On rows it had never seen, "
    if version.task == "regression":
        out = []
        if "mae" in m:
            out.append(f"{tested}its estimates of {version.target} are off by about {_num(m['mae'])} on average"
                       + (f"; always guessing the average would be off by {_num(base['mae'])}." if "mae" in base else "."))
        q = ((detail or {}).get("residual_summary") or {}).get("quantiles") or {}
        if "0.05" in q and "0.95" in q:
            out.append(f"For 9 in 10 {noun}, the truth lies between {_num(q['0.05'])} and +{_num(q['0.95'])} of its estimate.")
        if "r2" in m:
            out.append(f"It explains about {max(0, _in_100(m['r2']))} % of the differences in {version.target} between {noun}.")
        return out
    out = []
    if "accuracy" in m:
        out.append(f"{tested}it is right about {_in_100(m['accuracy'])} times in 100"
                   + (f"; always guessing the most common answer would be right {_in_100(base['accuracy'])} times in 100."
                      if "accuracy" in base else "."))
    if detail and version.task == "binary":
        out += _binary_words(version, detail_at(detail, getattr(version, "operating_point", None)), noun)
    elif detail:
        per = sorted(detail.get("per_class", []), key=lambda c: c["recall"])
        if len(per) >= 2:
            out.append(f"It recognises '{per[-1]['class']}' best ({_in_100(per[-1]['recall'])} in 100 found) and "
                       f"'{per[0]['class']}' worst ({_in_100(per[0]['recall'])} in 100 found).")
    return out


def mistakes_in_words(version, detail: dict | None, noun: str = "rows") -> list[str]:
    """What it tends to get wrong, biggest mistake first."""
    if not detail:
        return ["The detailed test results are not ready yet; they appear here by themselves once they are computed."]
    if version.task == "regression":
        deciles = detail.get("by_predicted_decile") or []
        if not deciles:
            return []
        worst = max(deciles, key=lambda d: abs(d["mean_actual"] - d["mean_predicted"]))
        where = "lowest" if deciles.index(worst) < len(deciles) / 2 else "highest"
        how = "under-estimates" if worst["mean_actual"] > worst["mean_predicted"] else "over-estimates"
        return [(f"It {how} most for its {where} estimates: there it says {_num(worst['mean_predicted'])} on average "
                 f"where the truth is {_num(worst['mean_actual'])}.")]
    if version.task == "binary":
        detail = detail_at(detail, getattr(version, "operating_point", None))  # the decisions it makes now
    cm = detail["confusion_matrix"]["matrix"]
    labels = detail["confusion_matrix"]["labels"]
    if version.task == "binary" and len(labels) == 2:
        (tn, fp), (fn, tp) = cm
        pos, neg = labels[1], labels[0]
        out = []
        if fn + tp:
            out.append(f"It misses {fn:,} of the {fn + tp:,} {noun} that really were '{pos}' "
                       f"(about {_in_100(fn / (fn + tp))} in 100).")
        if tn + fp:
            out.append(f"It wrongly flags {fp:,} of the {tn + fp:,} {noun} that were '{neg}' as '{pos}' "
                       f"(about {_in_100(fp / (tn + fp))} in 100).")
        if fn > fp:
            out.insert(0, f"Its most common mistake is missing a '{pos}'.")
        elif fp > fn:
            out.insert(0, f"Its most common mistake is a false alarm: calling a '{neg}' '{pos}'.")
        return out
    pairs = [(cm[i][j], labels[i], labels[j], sum(cm[i])) for i in range(len(labels)) for j in range(len(labels)) if i != j]
    pairs = [p for p in sorted(pairs, reverse=True) if p[0] > 0][:3]
    return [f"It called {n:,} of the {total:,} '{actual}' {noun} '{pred}'." for n, actual, pred, total in pairs] or \
        ["It made no mistakes on the test rows; that is unusual, so check for leakage."]


def operating_point_in_words(version) -> str | None:
    """What the cut-off does, as the sentence stored with the choice (None when the model has none)."""
    point = getattr(version, "operating_point", None) or {}
    return point.get("sentence")


def product_decisions_in_words(version) -> list[str]:
    """Where the product overrode what the analyst would expect, one plain sentence each.

    Shown on Results and in the review queue: that the delivered model is the default model (the search's
    best did not beat it), that it is an ensemble of several models, or that time ran out before the search finished.
    """
    out = []
    for note in version.notes or []:
        kind = note.get("kind")
        if kind == "default_model_kept" or (kind is None and "default HistGradientBoosting model" in note.get("message", "")):
            out.append("The search's best model did not clearly beat the product's standard model, so the standard model "
                       "was delivered (it is the more robust choice when they are level).")
        elif kind == "ensemble_delivered":
            n = len(((getattr(version, "recipe", None) or {}).get("hyperparameters") or {}).get("members") or []) or "several"
            out.append(f"The model combines {n} models: together they predicted better than any one of them on rows "
                       "held back while the choice was made.")
        elif kind == "time_ran_out":
            out.append(note.get("message") or "Time ran out before the search finished: the best model found so far was delivered.")
    return out


def confidence_label(task: str, confidence: float | None, typical_error: float | None = None) -> tuple[str, str]:
    """(label, sentence) for one prediction's confidence (the probability of the predicted outcome)."""
    if task == "regression" or confidence is None:
        if typical_error is None:
            return "Estimate", "This is an estimate; how far off it may be is shown on the Results page."
        return "Estimate", f"Estimates like this are typically off by about {_num(typical_error)}."
    for floor, label in CONFIDENCE_LABELS:
        if confidence >= floor:
            chance = _in_100(confidence)
            if label == "Unsure":
                return label, f"It gives this outcome only {chance} chances in 100: treat it as a guess."
            return label, f"It gives this outcome about {chance} chances in 100."
    raise AssertionError("unreachable")  # pragma: no cover


def prediction_in_words(version, prediction: dict[str, Any]) -> str:
    value = prediction.get("prediction")
    if version.task == "regression":
        return f"Estimated {version.target}: {_num(value)}"
    return f"Predicted {version.target}: {value}"


def _value(v: Any) -> str:
    """A column's value as a person wrote it: a whole number (a count, a level) without ".0", text in quotes."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return f"'{v}'"
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    return _num(v)


def reasons_in_words(version, what_if: dict[str, Any], k: int = 3) -> list[str]:
    """The top ``k`` reasons behind one what-if prediction, strongest first.

    Each says what the value does to the chance of the predicted answer ("raises the chance of 'Yes'"):
    "pushes away from it" left a person asking "away from what?".
    """
    outputs = what_if.get("explanation") or []
    if not outputs:
        return []
    predicted = str((what_if.get("prediction") or {}).get("prediction"))
    out = next((o for o in outputs if str(o["output"]) == predicted), outputs[0])
    what = f"the chance of '{out['output']}'" if version.task != "regression" else f"the estimate of {version.target}"
    reasons = []
    for c in out["contributions"]:
        if not c["contribution"]:
            continue
        direction = "raises" if c["contribution"] > 0 else "lowers"
        reasons.append(f"{c['column']} = {_value(c['feature_value'])} {direction} {what}.")
        if len(reasons) == k:
            break
    return reasons


def drivers(explanations_summary: dict[str, Any], k: int = 8) -> list[dict[str, Any]]:
    """Top features with their share of the total influence (for a bar chart), strongest first."""
    top = [f for f in explanations_summary.get("top_features") or [] if f.get("mean_abs_shap")]
    total = sum(f["mean_abs_shap"] for f in top) or 1.0
    return [{"column": f["column"], "share": f["mean_abs_shap"] / total,
             "sentence": f"{f['column']} accounts for about {_in_100(f['mean_abs_shap'] / total)} % of what moves its predictions."}
            for f in top[:k]]


def warnings_that_apply(version, profile: dict[str, Any], leakage_suspects: list[str] | None = None) -> list[str]:
    """Readiness findings about columns the model uses, training notes, and leakage suspects it still relies on."""
    used = set(version.feature_schema.get("input_columns") or [])
    out = []
    for col in sorted(set(leakage_suspects or version.leakage_suspects or []) & used):
        out.append(f"`{col}` predicts {version.target} almost perfectly on its own: it may only be known after the fact "
                   "(leakage). Exclude it in the Build page's advanced settings unless you will have it at prediction time.")
    for f in profile.get("findings") or []:
        if f.get("severity") in ("critical", "warning") and f.get("column") in used:
            out.append(f"{f['message']} {f.get('fix', '')}".strip())
    out += [n["message"] for n in version.notes or [] if n.get("severity") == "warning"]
    return out


def batch_columns_report(version, columns: list[str]) -> dict[str, Any]:
    """Which columns of an uploaded file the model lacks or ignores, with a sentence each."""
    needed = list(version.feature_schema.get("input_columns") or [])
    have = set(columns)
    missing = [c for c in needed if c not in have]
    extra = [c for c in columns if c not in set(needed)]
    sentences = []
    if missing:
        sentences.append(f"The file lacks {len(missing)} column(s) the model needs: {', '.join(missing)}. "
                         "Add them (an empty column is allowed) and upload it again.")
    if extra:
        sentences.append(f"{len(extra)} column(s) are not used by the model and are passed through unchanged: "
                         f"{', '.join(extra[:10])}{' ...' if len(extra) > 10 else ''}.")
    return {"missing": missing, "extra": extra, "sentences": sentences, "ok": not missing}


def typical_row(feature_schema: dict[str, Any]) -> dict[str, Any]:
    """A starting case for the what-if form: the median of each number or date, the most common category."""
    row: dict[str, Any] = {}
    for col in feature_schema.get("input_columns") or []:
        spec = (feature_schema.get("columns") or {}).get(col, {})
        if spec.get("kind") == "categorical":
            row[col] = spec.get("most_common") if spec.get("most_common") is not None else (spec.get("values") or [None])[0]
        elif spec.get("kind") == "numeric":
            med = spec.get("median")
            row[col] = (round(med) if spec.get("integer") else float(med)) if med is not None else None
        else:
            row[col] = spec.get("median")
    return row


def _chance(version, result: dict[str, Any]) -> float | None:
    p = result.get("prediction") or {}
    return p.get("confidence") if version.task != "regression" else None


def what_if_change(version, before: dict[str, Any], after: dict[str, Any], changed: list[str]) -> str:
    """What changing ``changed`` did to the prediction, in one sentence."""
    what = ", ".join(changed) if changed else "nothing"
    b, a = (before.get("prediction") or {}), (after.get("prediction") or {})
    if version.task == "regression":
        diff = float(a.get("prediction")) - float(b.get("prediction"))
        if abs(diff) < 1e-12:
            return f"Changing {what} did not move the estimate."
        return f"Changing {what} moved the estimate {'up' if diff > 0 else 'down'} by {_num(abs(diff))}."
    if a.get("prediction") != b.get("prediction"):
        return f"Changing {what} flipped the prediction from '{b.get('prediction')}' to '{a.get('prediction')}'."
    cb, ca = _chance(version, before), _chance(version, after)
    if cb is None or ca is None or _in_100(cb) == _in_100(ca):
        return f"Changing {what} did not change the prediction ('{a.get('prediction')}')."
    return (f"Changing {what} still gives '{a.get('prediction')}', now with {_in_100(ca)} chances in 100 "
            f"instead of {_in_100(cb)}.")


#: Each review state as an analyst reads it (what it means and what happens next).
REVIEW_STATUS_WORDS: dict[str, str] = {
    "draft": "Not shared yet: only you have looked at it.",
    "pending_review": "Shared: waiting for a data scientist to pick it up.",
    "in_review": "A data scientist is reviewing it now.",
    "changes_requested": "The data scientist asked for changes: read their comments, then reply or retrain.",
    "approved": "Approved: it may now be deployed.",
    "rejected": "Rejected: the reasons are in the comments below.",
    "deployed": "Approved and deployed.",
    "retired": "Retired: no longer in use.",
    "revoked": "Approval revoked: it must not be used.",
    "superseded": "Replaced by a newer model that answers the requested changes.",
}


def review_status_in_words(status: str, claimed_by: str | None = None) -> str:
    words = REVIEW_STATUS_WORDS.get(status, status.replace("_", " ").capitalize() + ".")
    if status == "in_review" and claimed_by:
        words = f"{claimed_by} is reviewing it now."
    return words


#: One line per metric a person may pick to judge models by ({pos} / {neg}: the two answers, when known).
METRIC_WORDS: dict[str, str] = {
    "roc_auc": "how well it ranks the {pos} cases above the {neg} cases",
    "roc_auc_ovr": "how well it ranks each answer's cases above the others",
    "ap": "how clean its list of likely {pos} cases is, from the top down (good when {pos} is rare)",
    "log_loss": "how honest its chances are: confident wrong answers cost the most (lower is better)",
    "accuracy": "how often it is right, counting every answer the same",
    "f1": "a balance of finding the {pos} cases and not raising false alarms",
    "macro_f1": "finding and not mis-calling each answer, every answer counted equally",
    "micro_f1": "finding and not mis-calling, every row counted equally",
    "rmse": "how far off its estimates are, big misses counted extra (lower is better)",
    "mae": "how far off its estimates are on average (lower is better)",
    "mse": "how far off its estimates are, squared (lower is better)",
    "r2": "how much of the differences between rows it explains",
}


def metric_in_words(name: str, label: str, positive: str | None = None, negative: str | None = None) -> str:
    """"ROC AUC: how well it ranks the 'Yes' cases above the 'No' cases" (one line for a metric choice)."""
    pos, neg = (f"'{positive}'" if positive else "positive"), (f"'{negative}'" if negative else "other")
    words = METRIC_WORDS.get(name)
    return f"{label}: {words.format(pos=pos, neg=neg)}" if words else label


def best_so_far_in_words(metric: str, label: str, score: float, finished: bool = False,
                         positive: str | None = None, negative: str | None = None, *, tested: bool = False) -> str:
    """The search's best score as a sentence ("Best model so far: ranks ... 80 times in 100"), not "Best ROC AUC 0.797".

    ``tested=True``: ``score`` is the delivered model's holdout score, the number the Results page shows; a
    finished build says that one, so the Build page and Results never show two different "times in 100"
    for the same model (the search's own score is measured on other rows).
    """
    head = ("The delivered model, on rows it never saw while it was built" if tested
            else "Best model found" if finished else "Best model so far")
    if metric == "roc_auc":
        pos, neg = (f"'{positive}'" if positive else "positive"), (f"'{negative}'" if negative else "negative")
        return f"{head}: ranks a {pos} case above a {neg} one {_in_100(score)} times in 100 (a coin flip: 50)."
    if metric == "roc_auc_ovr":
        return f"{head}: ranks each answer's cases above the others {_in_100(score)} times in 100."
    if metric == "accuracy":
        return f"{head}: right {_in_100(score)} times in 100" + ("." if tested else " on the rows held back to check it.")
    if metric == "r2":
        return f"{head}: explains about {max(0, _in_100(score))} % of the differences between rows."
    better = "higher" if metric in ("ap", "f1", "macro_f1", "micro_f1") else "lower"
    return f"{head}: {label} {score:.3f} ({better} is better)."


def build_failure_in_words(error: dict | None, budget_seconds: float | None, quick_seconds: float) -> str:
    """Why a build failed, without advice the person cannot follow: a Quick build (the smallest preset) is never
    told to use a smaller time budget; the page offers "Try again" and "Give it more time" instead."""
    message = (error or {}).get("message") or "The worker reported an error."
    for advice in (" Try a smaller time budget or a smaller dataset.", " Try again, or with a smaller time budget or dataset."):
        message = message.replace(advice, "")
    if (error or {}).get("code") == "time_limit" and budget_seconds and budget_seconds <= quick_seconds:
        message += " Leaving out columns you do not need, or using fewer rows, makes it quicker."
    return message


#: A model version's review state as a short label (the model pickers): one place, so no picker says
#: "(pending review)" while the page shows the model is in use.
VERSION_STATUS_LABELS: dict[str, str] = {
    "draft": "not shared yet", "pending_review": "waiting for review", "in_review": "being reviewed",
    "changes_requested": "changes requested", "approved": "approved", "rejected": "rejected",
    "deployed": "in use", "retired": "retired", "revoked": "approval revoked", "superseded": "replaced",
}


def version_status_label(status: str, in_use: bool = False) -> str:
    """The short label for a version; ``in_use`` (it has been deployed) wins over its review state."""
    if in_use and status not in ("retired", "revoked"):
        return "in use"
    return VERSION_STATUS_LABELS.get(status, status.replace("_", " "))
