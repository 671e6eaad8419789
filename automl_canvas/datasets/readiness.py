"""The readiness report in plain language, and the sentence that says what a chosen target means.

The profile stored at upload already holds the findings (each with a message
and a fix); this module turns them into what an analyst reads before building:
a one-line verdict, the findings ordered by how much they matter, and, once a
target is chosen, what will be predicted, which kind of problem that is, and
the checks that need the target (class balance, leakage).  Doors only render.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from ..auth.policy import require
from ..config import Settings
from ..db import session_scope
from ..errors import ValidationError
from .leakage import ensure_probe
from .profiling import id_reason
from .service import get_dataset

__all__ = ["SEVERITY_LABELS", "TASK_WORDS", "ReadinessItem", "ReadinessReport", "TargetCheck", "balance_sentence", "check_target",
           "readiness_report", "row_noun", "target_sentence"]

#: How each finding severity is named to an analyst, most serious first.
SEVERITY_LABELS = {"critical": "Must fix", "warning": "Worth a look", "info": "Good to know"}
#: Each problem type in words (what it means for the business question).
TASK_WORDS = {
    "binary": "a yes-or-no question (binary classification)",
    "multiclass": "a choice between several categories (multiclass classification)",
    "regression": "a number to estimate (regression)",
}
_TARGET_CODES = ("target_missing", "class_imbalance", "single_class", "too_many_classes", "leakage")


@dataclass(frozen=True)
class ReadinessItem:
    severity: str
    label: str
    message: str
    fix: str
    column: str | None = None
    code: str = ""


@dataclass
class ReadinessReport:
    summary: str
    ready: bool
    items: list[ReadinessItem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "ready": self.ready, "items": [asdict(i) for i in self.items]}


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _items(findings: list[dict]) -> list[ReadinessItem]:
    order = list(SEVERITY_LABELS)
    ranked = sorted(findings, key=lambda f: order.index(f.get("severity", "info")))
    return [ReadinessItem(f["severity"], SEVERITY_LABELS[f["severity"]], f["message"], f.get("fix", ""), f.get("column"),
                          f.get("code", "")) for f in ranked]


def readiness_report(profile: dict[str, Any], target_findings: list[dict] | None = None, name: str = "The table") -> ReadinessReport:
    """Verdict + findings of the stored profile (and of a target check, when one was run)."""
    findings = list(profile.get("findings") or [])
    seen = {(f.get("code"), f.get("column")) for f in findings}
    findings += [f for f in (target_findings or []) if (f.get("code"), f.get("column")) not in seen]
    items = _items(findings)
    counts = {sev: sum(1 for i in items if i.severity == sev) for sev in SEVERITY_LABELS}
    shape = f"{name} has {_plural(int(profile.get('n_rows', 0)), 'row')} and {_plural(int(profile.get('n_columns', 0)), 'column')}."
    if counts["critical"]:
        verdict = (f"{_plural(counts['critical'], 'problem')} must be fixed before a model can be trusted; "
                   "see the suggested fixes below.")
    elif counts["warning"]:
        verdict = (f"It is ready to build. {_plural(counts['warning'], 'thing is', 'things are')} worth a look; "
                   "the suggested fixes say what will happen to each.")
    else:
        verdict = "It is ready to build: no problems were found."
    return ReadinessReport(f"{shape} {verdict}", counts["critical"] == 0, items)


def row_noun(profile: dict[str, Any]) -> str:
    """What one row is, guessed from an identifier column (``customer_id`` -> "customers"), else "rows"."""
    dropped = {f.get("column") for f in profile.get("findings") or [] if f.get("code") == "id_like"}
    for col in profile.get("columns") or []:
        name = str(col.get("name", ""))
        if name not in dropped:
            continue
        low = name.lower()
        for suffix in ("_id", "id", "_key", "_number", "_no"):
            if low.endswith(suffix) and len(low) > len(suffix) + 2:
                word = low[: -len(suffix)].strip("_- ").split("_")[-1]
                if word.isalpha():
                    return word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"
    return "rows"


def _values(col: dict[str, Any]) -> list[str]:
    top = (col.get("stats") or {}).get("top_values") or []
    vals = [str(t.get("value")) for t in top if isinstance(t, dict) and "value" in t]
    return vals or [str(v) for v in col.get("examples") or []]


def target_sentence(profile: dict[str, Any], target: str, task: str) -> str:
    """What choosing ``target`` means, in one or two sentences."""
    by_name = {c["name"]: c for c in profile.get("columns") or []}
    if target not in by_name:
        raise ValidationError(f"The column '{target}' is not in this table; choose one of its columns.")
    noun = row_noun(profile)
    each = "each row" if noun == "rows" else f"each of your {noun}"
    if task == "regression":
        return f"The model will estimate `{target}` for {each}: {TASK_WORDS[task]}."
    values = sorted(set(_values(by_name[target])))[:6]
    shown = " or ".join(f"'{v}'" for v in values[:2]) if task == "binary" and len(values) >= 2 else \
        ", ".join(f"'{v}'" for v in values) + (" ..." if len(values) >= 6 else "")
    return f"The model will predict `{target}` ({shown}) for {each}: {TASK_WORDS[task]}."


@dataclass
class TargetCheck:
    target: str
    task: str
    sentence: str
    findings: list[dict]
    class_balance: dict | None = None
    leakage_suspects: list[str] = field(default_factory=list)
    #: Columns training will leave out for this target unless put back (suspected leaks, ID-like) -> why.
    left_out: dict[str, str] = field(default_factory=dict)


def check_target(engine: Engine, settings: Settings, actor, dataset_id: int, target: str, task: str | None = None) -> TargetCheck:
    """Check ``target`` as the outcome: problem type, class balance, and the leakage probe for it.

    The probe runs once per (dataset, target) and is stored on the dataset (``ensure_probe``); training
    and the review read the same record, so all three name the same suspects.
    """
    require(actor, "dataset.read")
    with session_scope(engine) as s:
        dataset = get_dataset(s, actor, dataset_id)
    columns = [c["name"] for c in dataset.profile.get("columns") or []]
    if target not in columns:
        raise ValidationError(f"The column '{target}' is not in {dataset.name}; choose one of its columns.")
    probe = ensure_probe(engine, settings, dataset, target)
    task = task or probe["task"]
    findings = [f for f in probe["findings"] if f.get("code") in _TARGET_CODES]
    sentence = target_sentence(dataset.profile, target, task)
    balance = balance_sentence(probe["class_balance"], row_noun(dataset.profile)) if task != "regression" else ""
    left_out = {c: probe["reasons"].get(c, f"gives `{target}` away") for c in probe["suspects"]}
    left_out.update({c["name"]: id_reason(c) for c in dataset.profile.get("columns") or []
                     if c.get("semantic_type") == "id" and c["name"] != target and c["name"] not in left_out})
    return TargetCheck(target, task, f"{sentence} {balance}".strip(), findings, probe["class_balance"],
                       list(probe["suspects"]), left_out)


def balance_sentence(class_balance: dict | None, noun: str = "rows") -> str:
    """How often each outcome happens ("About 25 in every 100 customers are 'Yes'.")."""
    if not class_balance:
        return ""
    total = sum(class_balance.values()) or 1
    ranked = sorted(class_balance.items(), key=lambda kv: kv[1])
    value, count = ranked[0]
    return f"In this table, about {round(100 * count / total)} in every 100 {noun} are '{value}' (the rarest outcome)."
