"""The scorecard: measurements + business inputs + rules -> components, score, verdict, reasons.

Pure arithmetic on stored numbers (no data, no model), so it is cheap to redo
when an input changes, and every reason names the number it came from.  The
verdict itself is decided in verdict.py, the value of a binary decision in
value.py.  The method is written for managers in docs/feasibility.md; keep the
two together.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field

from .inputs import BusinessInputs, missing_inputs
from .readiness_score import score_readiness
from .rules import COMPONENTS, ScoringRules
from .value import operating_value
from .verdict import VERDICTS, ColumnFinding, column_finding, decide_verdict

__all__ = ["DELIVERY_POINTS", "FRESHNESS_POINTS", "VERDICTS", "Component", "Reason", "Scorecard", "score_assessment"]

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
    #: 95% bootstrap interval of the expected value (binary projects valued at their operating point)
    expected_value_interval: list[float] | None = None
    #: the cost-minimising threshold and its confusion counts on the held-out rows (value.py), when valued there
    operating_point: dict[str, Any] | None = None
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
                              message=f"{head} ({interval}). Signal: {points:.0f} of 100 toward the score, from the cautious "
                              f"(lower) end of that interval; full marks once it reaches {t.full_credit_lift:.0%}."))
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
        f"and gets {share:.0%} of the way the model gets. Need for a model beyond that rule: {points:.0f} of 100 "
        f"toward the score."))
    return points, share


def _ev_points(ev: float, rules: ScoringRules) -> tuple[float, str]:
    """Impact points on the log scale: 0 at ``ev_floor`` a month, 100 at ``ev_full``."""
    t = rules.thresholds
    if ev <= 0:
        return 0.0, "none"
    span = math.log10(t.ev_full / t.ev_floor) if t.ev_full > t.ev_floor > 0 else 1.0
    return 100 * _clip01(math.log10(max(ev, 1e-9) / t.ev_floor) / span), "measured"


def _binary_value(m: dict[str, Any], inputs: BusinessInputs, rules: ScoringRules, reasons: list[Reason]
                  ) -> tuple[float, float, str, dict[str, Any]]:
    """Expected value at the cost-minimising threshold of the stored operating curve (value.py)."""
    t = rules.thresholds
    v, fp, fn = inputs.value_per_decision or 0.0, inputs.cost_false_positive or 0.0, inputs.cost_false_negative or 0.0
    op = operating_value(m["operating_curve"], decisions_per_month=inputs.decisions_per_month, value_correct=v,
                         cost_fp=fp, cost_fn=fn, status_quo_accuracy=inputs.status_quo_accuracy)
    ev = op["value_per_month"]
    points, level = _ev_points(ev, rules)
    pos, neg = op["positive_class"], op["negative_class"]
    quo = ("today's decisions (status-quo accuracy "
           f"{inputs.status_quo_accuracy:.3f}, their mistakes assumed to fall on both outcomes alike)"
           if op["status_quo"] == "today's accuracy" else f"no model (always deciding '{neg}', the most common outcome)")
    interval = "" if op["ci_low"] is None else (f" (95% interval {_fmt(op['ci_low'])} to {_fmt(op['ci_high'])}, "
                                                f"from {op['n_bootstrap']} resamples of the held-out rows)")
    recall = "" if op["recall"] is None else f" and catches {op['recall']:.0%} of the real '{pos}' cases"
    reasons.append(Reason(
        component="impact", severity="good" if points >= 50 else ("critical" if ev <= 0 else "info"),
        fact="expected_value_per_month", value=ev, points=points,
        message=f"Expected value ≈ {_fmt(ev)} a month{interval} = {_fmt(inputs.decisions_per_month)} decisions × "
        f"({_fmt(op['model_value_per_decision'])} per decision with the model − {_fmt(op['status_quo_value_per_decision'])} "
        f"with {quo}). Each correct decision is worth {_fmt(v)}, a false positive costs {_fmt(fp)} and a false "
        f"negative {_fmt(fn)}; the cheapest threshold flags a row as '{pos}' from a probability of "
        f"{op['threshold']:.3f}: it flags {op['flagged_share']:.0%} of the {op['n_holdout']:,} held-out rows{recall}. "
        f"{points:.0f} impact points (0 at {_fmt(t.ev_floor)}, 100 at {_fmt(t.ev_full)} a month)."
        + (" The model would not beat the status quo." if ev <= 0 else "")))
    return points, ev, level, dict(op)


def _value_given(inputs: BusinessInputs, task: str) -> bool:
    if task == "regression":
        return inputs.cost_per_unit_error is not None
    return inputs.value_per_decision is not None or (
        inputs.cost_false_positive is not None and inputs.cost_false_negative is not None)


def _impact(m: dict[str, Any], inputs: BusinessInputs, rules: ScoringRules, reasons: list[Reason]
            ) -> tuple[float | None, float | None, str, dict[str, Any] | None]:
    """(points or None, expected value per month or None, level, operating point or None)."""
    acc, t = m["accuracy"], rules.thresholds
    decisions = inputs.decisions_per_month
    if m.get("operating_curve") and decisions is not None and _value_given(inputs, m["task"]):
        return _binary_value(m, inputs, rules, reasons)
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
        points, level = _ev_points(ev, rules)
        reasons.append(Reason(component="impact", severity="good" if points >= 50 else ("critical" if ev <= 0 else "info"),
                              fact="expected_value_per_month", value=ev, points=points,
                              message=f"Expected value ≈ {_fmt(ev)} a month = {_fmt(decisions)} decisions × {gain_text} × "
                              f"{_fmt(value)} {value_note}; {points:.0f} impact points (0 at {_fmt(t.ev_floor)}, 100 at "
                              f"{_fmt(t.ev_full)} a month)." + (" The model would not beat today's decisions." if ev <= 0 else "")))
        return points, ev, level, None
    if decisions is not None:
        for floor, level, points in _VOLUME_LEVELS:
            if decisions >= floor:
                reasons.append(Reason(component="impact", severity="info", fact="decisions_per_month", value=decisions,
                                      points=points, message=f"Impact is {level} by volume ({_fmt(decisions)} decisions a "
                                      f"month, {points:.0f} points); give the value of a decision to put a number on it."))
                return points, None, level, None
    reasons.append(Reason(component="impact", severity="info", fact=None, points=None,
                          message="Impact is unknown: give decisions per month and the value of a correct decision "
                          "(or the costs of errors). It is left out of the score until then."))
    return None, None, "unknown", None


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


def _column_reason(f: ColumnFinding | None, m: dict[str, Any], t, reasons: list[Reason]) -> None:
    """What the best single-column rule says, in words, with its score (verdict.py decides what it means)."""
    if f is None:
        return
    n = (m.get("column_rules") or {}).get("checked", 0)
    where = ("it was left out of the model" if not f.used_by_model else "the model may use it")
    head = (f"Of the {n} columns each tried alone, `{f.column}` does best: its simple rule ({f.description}) scores "
            f"{f.check_label} {f.check:.3f} on the validation rows")
    share = "" if f.share is None else f" and gets {f.share:.0%} of the model's lift"
    if f.kind == "leak":
        message = (f"{head}: it gives the answer away. It looks like the outcome written down after the fact (the "
                   f"leakage check flagged it; {where}). Remove it from the table and assess again; if it really is "
                   "known before the decision, the rule does the job and ML is not needed.")
    elif f.kind == "rule":
        suspect = " The leakage check flagged it as too good, but it looks like a rule, not a copy." if f.leak_suspect else ""
        message = (f"{head} (near-perfect from {t.rule_near_perfect:.2f}): the rule does the job, ML is not needed "
                   f"({where}).{suspect}")
    elif f.kind == "share":
        message = f"{head}{share} (the line is {t.rule_share_not_needed:.0%}): the rule does most of what a model would."
    else:
        message = f"{head}{share}: no single column gives the answer."
    reasons.append(Reason(component="advantage", severity="critical" if f.kind in ("leak", "rule") else
                          ("warning" if f.kind == "share" else "info"),
                          fact="column_rule", value=f.check, message=message))


def _search_reason(search: dict[str, Any], reasons: list[Reason]) -> None:
    """A warning when the safety cap, not the trial count, ended the quick search (the result may then vary)."""
    if search.get("stopped_by") != "time cap":
        return
    reasons.append(Reason(
        component="lift", severity="warning", fact="search_trials", value=search["trials"],
        message=f"The quick search ran {search['trials']} of its {search['max_trials']} trials before its "
        f"{search['cap_seconds']:.0f}-second safety limit stopped it, so the model may be weaker than it should be "
        "and another run can differ. Run it again with a larger budget or on a quieter machine."))


def score_assessment(m: dict[str, Any], inputs: BusinessInputs, rules: ScoringRules) -> Scorecard:
    reasons: list[Reason] = []
    w, t = rules.weights, rules.thresholds
    readiness, readiness_reasons = score_readiness(m["readiness"])
    reasons += [Reason(**r) for r in readiness_reasons]
    lift, signal, too_wide = _lift(m, rules, reasons)
    advantage, share = _advantage(m, rules, signal, reasons)
    impact, ev, level, op = _impact(m, inputs, rules, reasons)
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
    finding = column_finding(m, t)
    _column_reason(finding, m, t, reasons)
    _search_reason(m.get("search") or {}, reasons)
    verdict, why = decide_verdict(finding=finding, rule_share=share, signal=signal,
                                  has_interval=m["lift"].get("normalised_ci_low") is not None, too_wide=too_wide,
                                  readiness=readiness, score=score, value_per_month=ev, t=t)
    reasons.insert(0, Reason(component="verdict", severity="info", fact="score", value=score,
                             message=f"Verdict: {VERDICTS[verdict]}, because {why}."))
    return Scorecard(score=score, verdict=verdict, verdict_label=VERDICTS[verdict], judgeable=not too_wide,
                     components=components, reasons=reasons, missing_inputs=missing_inputs(inputs, m["task"]),
                     expected_value_per_month=ev, impact_level=level, rules=rules.to_dict(),
                     expected_value_interval=None if op is None or op["ci_low"] is None else [op["ci_low"], op["ci_high"]],
                     operating_point=op)
