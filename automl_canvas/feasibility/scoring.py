"""The scorecard: measurements + business inputs + rules -> components, score, verdict, reasons.

Pure arithmetic on stored numbers (no data, no model), so it is cheap to redo
when an input changes, and every reason names the number it came from.  The
method is written for managers in docs/feasibility.md; keep the two together.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field

from .inputs import BusinessInputs, missing_inputs
from .readiness import score_readiness
from .rules import COMPONENTS, ScoringRules

__all__ = ["DELIVERY_POINTS", "FRESHNESS_POINTS", "VERDICTS", "Component", "Reason", "Scorecard", "score_assessment"]

VERDICTS: dict[str, str] = {
    "go": "Go",
    "promising": "Promising, needs more or better data",
    "not_ready": "Not ready for ML",
    "not_needed": "ML not needed",
}
#: Points deducted from risk and effort by how predictions are delivered and how fresh the data must be.
DELIVERY_POINTS = {"report": 0, "batch": 10, "api": 25, "embedded": 35}
FRESHNESS_POINTS = {"monthly": 0, "weekly": 0, "daily": 5, "hourly": 15, "real-time": 25}
_DELIVERY_WORDS = {"report": "as a report", "batch": "as a batch file", "api": "through an API", "embedded": "embedded in a product"}
_VOLUME_LEVELS = ((10_000, "high", 70.0), (500, "medium", 45.0), (0, "low", 20.0))


class Reason(BaseModel):
    component: str
    severity: str  # good | info | warning | critical
    message: str
    fact: str | None = None
    value: float | str | None = None
    points: float | None = None


class Component(BaseModel):
    name: str
    label: str
    weight: float
    points: float | None = Field(description="0-100; None when it could not be scored (missing inputs)")
    summary: str


class Scorecard(BaseModel):
    score: float | None
    verdict: str
    verdict_label: str
    judgeable: bool
    components: list[Component]
    reasons: list[Reason]
    missing_inputs: list[str]
    expected_value_per_month: float | None = None
    impact_level: str
    rules: dict[str, Any]


def _clip01(x: float) -> float:
    return min(1.0, max(0.0, x))


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def _lift(m: dict[str, Any], rules: ScoringRules, reasons: list[Reason]) -> tuple[float, bool, bool]:
    """(points, signal shown, interval too wide)."""
    t, lift = rules.thresholds, m["lift"]
    low, high = lift.get("normalised_ci_low"), lift.get("normalised_ci_high")
    label = lift["metric_label"]
    head = (f"The quick AutoML model scores {label} {lift['model']:.3f} on {lift['n_holdout']:,} held-out rows against "
            f"{lift['baseline']:.3f} for the naive baseline: it closes {lift['normalised']:.0%} of the gap to a perfect score")
    if low is None:
        reasons.append(Reason(component="lift", severity="critical", fact="n_holdout", value=lift["n_holdout"], points=0,
                              message=f"{head}, but with {lift['n_holdout']} held-out rows the interval is too wide to judge."))
        return 0.0, False, True
    too_wide = (high - low) > t.too_wide
    points = 100 * _clip01(low / t.full_credit_lift) if t.full_credit_lift > 0 else (100.0 if low > 0 else 0.0)
    interval = f"95% interval {low:.0%} to {high:.0%}"
    if low <= 0:
        reasons.append(Reason(component="lift", severity="critical", fact="normalised_ci_low", value=low, points=points,
                              message=f"{head} ({interval}). The interval includes zero: no signal can be shown in this data."))
    else:
        reasons.append(Reason(component="lift", severity="good" if points >= 50 else "info", fact="normalised_ci_low",
                              value=low, points=points,
                              message=f"{head} ({interval}); the lower end earns {points:.0f} lift points "
                              f"(full points from {t.full_credit_lift:.0%})."))
    if too_wide:
        reasons.append(Reason(component="lift", severity="warning", fact="interval_width", value=high - low,
                              message=f"The interval is {high - low:.0%} wide (more than {t.too_wide:.0%}): too wide to judge. "
                              "More rows with a known outcome would narrow it."))
    return points, low > 0, too_wide


def _advantage(m: dict[str, Any], rules: ScoringRules, signal: bool, reasons: list[Reason]) -> tuple[float, float | None]:
    rule, model_norm = m["simple_rule"], m["lift"]["normalised"]
    if not signal or not model_norm or model_norm <= 0 or rule.get("normalised") is None:
        return 0.0, None
    share = max(0.0, rule["normalised"]) / model_norm
    full = rules.thresholds.full_credit_advantage
    points = 100 * _clip01((1 - share) / full) if full > 0 else 0.0
    reasons.append(Reason(
        component="advantage", severity="warning" if share >= rules.thresholds.rule_share_not_needed else "info",
        fact="rule_share", value=share, points=points,
        message=f"A simple rule ({rule['kind']}: {rule['description']}) scores {m['lift']['metric_label']} {rule['score']:.3f} "
        f"and gets {share:.0%} of the way the model gets; the model's extra earns {points:.0f} advantage points."))
    return points, share


def _impact(m: dict[str, Any], inputs: BusinessInputs, rules: ScoringRules, reasons: list[Reason]
            ) -> tuple[float | None, float | None, str]:
    """(points or None, expected value per month or None, level)."""
    acc, t = m["accuracy"], rules.thresholds
    decisions = inputs.decisions_per_month
    if acc["kind"] == "accuracy":
        value = inputs.value_per_decision
        value_note = "value per correct decision"
        if value is None and inputs.cost_false_positive is not None and inputs.cost_false_negative is not None:
            value = (inputs.cost_false_positive + inputs.cost_false_negative) / 2
            value_note = "average cost of an error avoided"
        sq = inputs.status_quo_accuracy
        sq_note = "today's accuracy"
        if sq is None:
            sq, sq_note = acc["baseline"], "always predicting the most common outcome (status quo not given)"
        gain = acc["model"] - sq
        gain_text = f"(model accuracy {acc['model']:.3f} − {sq_note} {sq:.3f})"
    else:
        value, value_note = inputs.cost_per_unit_error, "cost per unit of error"
        sq = inputs.status_quo_error
        sq_note = "today's error"
        if sq is None:
            sq, sq_note = acc["baseline"], "the error of always predicting the average (status quo not given)"
        gain = sq - acc["model"]
        gain_text = f"({sq_note} {sq:.4g} − model mean absolute error {acc['model']:.4g})"
    if decisions is not None and value is not None:
        ev = decisions * gain * value
        if ev <= 0:
            points, level = 0.0, "none"
        else:
            span = math.log10(t.ev_full / t.ev_floor) if t.ev_full > t.ev_floor > 0 else 1.0
            points, level = 100 * _clip01(math.log10(max(ev, 1e-9) / t.ev_floor) / span), "measured"
        reasons.append(Reason(component="impact", severity="good" if points >= 50 else ("critical" if ev <= 0 else "info"),
                              fact="expected_value_per_month", value=ev, points=points,
                              message=f"Expected value ≈ {_fmt(ev)} a month = {_fmt(decisions)} decisions × {gain_text} × "
                              f"{_fmt(value)} {value_note}; {points:.0f} impact points (0 at {_fmt(t.ev_floor)}, 100 at "
                              f"{_fmt(t.ev_full)} a month)." + (" The model would not beat today's decisions." if ev <= 0 else "")))
        return points, ev, level
    if decisions is not None:
        for floor, level, points in _VOLUME_LEVELS:
            if decisions >= floor:
                reasons.append(Reason(component="impact", severity="info", fact="decisions_per_month", value=decisions,
                                      points=points, message=f"Impact is {level} by volume ({_fmt(decisions)} decisions a "
                                      f"month, {points:.0f} points); give the value of a decision to put a number on it."))
                return points, None, level
    reasons.append(Reason(component="impact", severity="info", fact=None, points=None,
                          message="Impact is unknown: give decisions per month and the value of a correct decision "
                          "(or the costs of errors). It is left out of the score until then."))
    return None, None, "unknown"


def _risk(inputs: BusinessInputs, task: str, reasons: list[Reason]) -> float | None:
    given = False
    total = 0.0
    for fact, table, words in (("delivery", DELIVERY_POINTS, lambda v: f"Delivery {_DELIVERY_WORDS[v]}"),
                               ("freshness", FRESHNESS_POINTS, lambda v: f"Data must be fresh {v}")):
        value = getattr(inputs, fact)
        if value is not None:
            given = True
            total += table[value]
            reasons.append(Reason(component="risk", severity="info", fact=fact, value=value, points=-table[value],
                                  message=f"{words(value)}: −{table[value]} risk-and-effort points."))
    fp, fn = inputs.cost_false_positive, inputs.cost_false_negative
    if task != "regression" and fp is not None and fn is not None:
        given = True
        lo, hi = min(fp, fn), max(fp, fn)
        ratio = math.inf if lo == 0 and hi > 0 else (hi / lo if lo else 1.0)
        a = 25 if ratio >= 10 else 15 if ratio >= 3 else 5 if ratio >= 1.5 else 0
        total += a
        dearer = "false negative" if fn > fp else "false positive"
        text = "errors cost about the same either way" if a == 0 else (
            f"a {dearer} costs {'far' if math.isinf(ratio) else f'{ratio:.1f}×'} more than the other error: the decision "
            "threshold must be set from the costs and the expensive errors watched")
        reasons.append(Reason(component="risk", severity="warning" if a >= 15 else "info", fact="cost_ratio",
                              value=None if math.isinf(ratio) else ratio, points=-a,
                              message=f"Cost asymmetry: {text}; −{a} risk-and-effort points."))
    return max(0.0, 100.0 - total) if given else None


def score_assessment(m: dict[str, Any], inputs: BusinessInputs, rules: ScoringRules) -> Scorecard:
    reasons: list[Reason] = []
    w, t = rules.weights, rules.thresholds
    readiness, readiness_reasons = score_readiness(m["readiness"])
    reasons += [Reason(**r) for r in readiness_reasons]
    lift, signal, too_wide = _lift(m, rules, reasons)
    advantage, share = _advantage(m, rules, signal, reasons)
    impact, ev, level = _impact(m, inputs, rules, reasons)
    risk = _risk(inputs, m["task"], reasons)
    curve = m.get("learning_curve") or {}
    if curve.get("trend") in ("more data would help", "plateaued"):
        pts = ", ".join(f"{p['normalised']:.0%} at {p['rows']:,} rows" for p in curve["points"])
        reasons.append(Reason(component="lift", severity="info", fact="gain_last_half", value=curve["gain_last_half"],
                              message=f"Learning curve ({pts}): {curve['trend']} (the last half of the rows added "
                              f"{curve['gain_last_half']:.1%} of the gap; the line is {t.plateau_gain:.0%})."))
    points = {"readiness": readiness, "lift": lift, "advantage": advantage, "impact": impact, "risk": risk}
    summaries = {
        "readiness": f"{readiness:.0f}/100 from the dataset profile",
        "lift": f"lower end of the lift interval: {m['lift'].get('normalised_ci_low') or 0:.0%} of the gap to perfect",
        "advantage": "no signal to compare" if share is None else f"a simple rule gets {share:.0%} of the way",
        "impact": {"measured": f"≈ {_fmt(ev or 0)} a month", "none": "no gain over today", "unknown": "not given"}.get(level, f"{level} by volume"),
        "risk": "not given" if risk is None else f"{risk:.0f}/100 (higher is easier and safer)",
    }
    components = [Component(name=n, label=COMPONENTS[n], weight=getattr(w, n), points=None if p is None else round(p, 1),
                            summary=summaries[n]) for n, p in points.items()]
    scored = [(c.weight, c.points) for c in components if c.points is not None and c.weight > 0]
    total_w = sum(wt for wt, _ in scored)
    score = round(sum(wt * p for wt, p in scored) / total_w, 1) if total_w else None
    if not signal:
        verdict = "not_ready"
    elif share is not None and share >= t.rule_share_not_needed:
        verdict = "not_needed"
    elif too_wide:
        verdict = "promising"
    elif score is not None and score >= t.go_score and readiness >= t.go_min_readiness:
        verdict = "go"
    else:
        verdict = "promising"
    why = {
        "not_ready": "the lift over the naive baseline cannot be told apart from zero",
        "not_needed": f"a simple rule already gets {share or 0:.0%} of the model's lift (the line is {t.rule_share_not_needed:.0%})",
        "promising": "the interval is too wide to judge yet" if too_wide else (
            f"the score {score:.0f} or the data readiness {readiness:.0f} is below the Go line "
            f"({t.go_score:.0f} and {t.go_min_readiness:.0f})" if score is not None else "too little could be scored"),
        "go": f"the score {score or 0:.0f} and data readiness {readiness:.0f} clear the Go line ({t.go_score:.0f} and {t.go_min_readiness:.0f})",
    }[verdict]
    reasons.insert(0, Reason(component="verdict", severity="info", fact="score", value=score,
                             message=f"Verdict: {VERDICTS[verdict]}, because {why}."))
    return Scorecard(score=score, verdict=verdict, verdict_label=VERDICTS[verdict], judgeable=not too_wide,
                     components=components, reasons=reasons, missing_inputs=missing_inputs(inputs, m["task"]),
                     expected_value_per_month=ev, impact_level=level, rules=rules.to_dict())
