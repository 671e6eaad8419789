"""The scoring rulebook: component weights and verdict thresholds, with their defaults.

Kept apart from the arithmetic so a manager can read (docs/feasibility.md) and
an administrator can change (``AUTOML_CANVAS_FEASIBILITY_WEIGHTS`` and
``AUTOML_CANVAS_FEASIBILITY_THRESHOLDS``, JSON objects) the rules without
touching code.  Every assessment stores the rules it was scored with.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from ..errors import ValidationError

__all__ = ["COMPONENTS", "ScoringRules", "Thresholds", "Weights"]

#: component name -> label shown to a manager
COMPONENTS: dict[str, str] = {
    "readiness": "Data readiness",
    "lift": "ML lift over the naive baseline",
    "advantage": "Advantage over a simple rule",
    "impact": "Business impact",
    "risk": "Risk and effort (100 = low)",
}


@dataclass(frozen=True)
class Weights:
    readiness: float = 0.25
    lift: float = 0.30
    advantage: float = 0.10
    impact: float = 0.20
    risk: float = 0.15


@dataclass(frozen=True)
class Thresholds:
    #: Normalised lift (share of the gap from the naive baseline to a perfect score)
    #: that earns the lift component its full 100 points.
    full_credit_lift: float = 0.5
    #: The simple rule "gets most of the way" when it reaches this share of the model's lift.
    rule_share_not_needed: float = 0.9
    #: One column's simple rule "does it" from this ROC AUC (classes) or R² (numbers), on the validation rows.
    rule_near_perfect: float = 0.98
    #: The model earns the full advantage points when the rule reaches at most 1 - this share.
    full_credit_advantage: float = 0.3
    #: A lift interval (normalised) wider than this is "too wide to judge".
    too_wide: float = 0.4
    #: "Go" needs at least this score and this data readiness.
    go_score: float = 60.0
    go_min_readiness: float = 50.0
    #: With business inputs, "Go" also needs an expected value above 0 and at least this much a month.
    go_min_value: float = 100.0
    #: Expected value per month scored on a log scale: 0 points at ev_floor, 100 at ev_full.
    ev_floor: float = 1_000.0
    ev_full: float = 100_000.0
    #: Normalised gain from half to all of the rows below which the learning curve has "plateaued".
    plateau_gain: float = 0.02


@dataclass(frozen=True)
class ScoringRules:
    weights: Weights = field(default_factory=Weights)
    thresholds: Thresholds = field(default_factory=Thresholds)

    @classmethod
    def from_overrides(cls, weights: dict[str, float] | None = None, thresholds: dict[str, float] | None = None) -> ScoringRules:
        """Defaults with some values replaced; unknown names and negative weights are refused by name."""
        out = {}
        for kind, klass, given in (("weight", Weights, weights or {}), ("threshold", Thresholds, thresholds or {})):
            known = {f.name for f in fields(klass)}
            for name, value in given.items():
                if name not in known:
                    raise ValidationError(f"'{name}' is not a feasibility {kind}; the {kind}s are: {', '.join(sorted(known))}.")
                if not isinstance(value, (int, float)) or value < 0:
                    raise ValidationError(f"The feasibility {kind} '{name}' must be a number of at least 0 (got {value!r}).")
            out[kind] = klass(**{**asdict(klass()), **{k: float(v) for k, v in given.items()}})
        if sum(asdict(out["weight"]).values()) <= 0:
            raise ValidationError("At least one feasibility weight must be above 0.")
        return cls(weights=out["weight"], thresholds=out["threshold"])

    @classmethod
    def from_settings(cls, settings) -> ScoringRules:
        return cls.from_overrides(settings.feasibility_weights, settings.feasibility_thresholds)

    def to_dict(self) -> dict:
        return {"weights": asdict(self.weights), "thresholds": asdict(self.thresholds)}
