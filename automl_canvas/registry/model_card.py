"""The model card: what a version is for, what it was built on, how good and how fair it is,
what drives it, where it falls short, and who approved it on which evidence.

Built here from stored records only (no recomputation), so every door shows
the same card; the approval section quotes the decision's frozen evidence
snapshot, i.e. exactly what the approver saw.  Markdown and HTML are rendered
from the same dict; HTML escapes every stored string.
"""

from __future__ import annotations

import html
from typing import Any

from sqlmodel import Session, select

from ..auth.resources import version_for
from ..config import Settings
from ..models import Dataset, Deployment, Evidence, Project, ReviewDecision, User
from ..serialization import json_safe
from .grade import grade_version

__all__ = ["build_model_card", "render_html", "render_markdown"]

_GENERIC_LIMITS = (
    "Trained on one historical extract: it reflects the period and population that data covers.",
    "Scores are estimates on held-out rows of the same data, not guarantees on future data; monitor after release.",
)


def _evidence(session: Session, version_id: int) -> dict[str, Evidence]:
    rows = session.exec(select(Evidence).where(Evidence.version_id == version_id, Evidence.candidate == 0))
    return {r.kind: r for r in rows}


def _name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return user.username if user else None


def build_model_card(session: Session, settings: Settings, actor, version_id: int) -> dict[str, Any]:
    v = version_for(session, actor, "model.read", version_id)
    project = session.get(Project, v.project_id)
    dataset = session.get(Dataset, v.dataset_id)
    evidence = _evidence(session, version_id)
    explanations, fairness = evidence.get("explanations"), evidence.get("fairness")
    grade = grade_version(v)
    decisions = session.exec(select(ReviewDecision).where(ReviewDecision.version_id == version_id).order_by(ReviewDecision.id)).all()
    approvals = [d for d in decisions if d.decision == "approve"]
    recipe = v.recipe or {}
    fairness_findings = fairness.summary.get("findings", []) if fairness else []
    limitations = [n.get("message", str(n)) if isinstance(n, dict) else str(n) for n in (v.notes or [])]
    limitations += [f"'{c}' may leak the answer (flagged by the leakage check)." for c in (v.leakage_suspects or [])]
    limitations += [f.get("message", "") for f in fairness_findings if f.get("severity") in ("warning", "critical")]
    if fairness is None:
        limitations.append("No fairness report was computed for this version.")
    limitations += list(_GENERIC_LIMITS)
    card = {
        "model": {"version_id": v.id, "project": project.name if project else None, "version": v.version,
                  "status": v.status, "task": v.task, "target": v.target, "learner": v.best_learner,
                  "artifact_sha256": v.artifact_sha256, "artifact_size": v.artifact_size, "created_at": v.created_at,
                  "created_by": _name(session, v.created_by_id), "origin": v.origin},
        "intended_use": {"question": project.question if project else "", "decision": project.decision if project else "",
                         "success_criterion": project.success_criterion if project else ""},
        "data": {"dataset_id": v.dataset_id, "name": dataset.name if dataset else None,
                 "sha256": dataset.sha256 if dataset else None, "rows": dataset.n_rows if dataset else None,
                 "columns": dataset.n_columns if dataset else None, "rows_used": recipe.get("n_rows"),
                 "features": list((v.feature_schema or {}).get("input_columns") or []),
                 "excluded_columns": list(recipe.get("excluded") or recipe.get("excluded_columns") or []),
                 "sensitive_columns": list(recipe.get("sensitive_columns") or recipe.get("sensitive") or [])},
        "metrics": {"metric": v.metric, "higher_is_better": v.higher_is_better, "holdout": v.holdout_score,
                    "baseline": v.baseline_score, "default_model": v.default_model_score,
                    "validation": v.validation_score, "grade": grade.grade, "lift_over_baseline": grade.lift,
                    "grade_reason": grade.reason},
        "how_it_was_built": _how_built(recipe),
        "operating_point": _operating_point(v),
        "fairness": {"computed": fairness is not None, "findings": fairness_findings},
        "top_drivers": explanations.summary.get("top_features", []) if explanations else [],
        "limitations": [x for x in limitations if x],
        "approval": None,
        "decisions": [{"decision": d.decision, "by": _name(session, d.actor_id), "at": d.created_at, "comment": d.comment,
                       "from_status": d.from_status, "to_status": d.to_status} for d in decisions],
        "deployments": [{"id": d.id, "environment": d.environment, "status": d.status, "reference": d.reference,
                         "at": d.created_at} for d in session.exec(select(Deployment).where(Deployment.version_id == version_id)
                                                                    .order_by(Deployment.id))],
    }
    if approvals:
        last = approvals[-1]
        card["approval"] = {"approved_by": [_name(session, d.actor_id) for d in approvals], "approved_at": last.created_at,
                            "comment": last.comment, "override_justification": last.override_justification,
                            "artifact_sha256": last.artifact_sha256, "evidence_snapshot": last.evidence_snapshot}
    return json_safe(card)


def _how_built(recipe: dict[str, Any]) -> dict[str, Any]:
    """What was delivered and on what evidence it was chosen (docs/training.md)."""
    members = (recipe.get("hyperparameters") or {}).get("members") if recipe.get("learner") == "weighted_ensemble" else None
    return {"kind": recipe.get("delivered_kind") or ("default" if recipe.get("learner") == "hist_gradient_boosting_default" else "single"),
            "members": [{"learner": m.get("learner"), "weight": m.get("weight")} for m in members or []],
            "chosen_on": recipe.get("model_selection"), "fresh_folds": recipe.get("fresh_folds"),
            "delivered_model_fit_on": recipe.get("delivered_model_fit_on"),
            "evidence_from": "the same recipe fitted on the train and validation rows (the holdout was never trained on)"}


def _operating_point(v) -> dict[str, Any] | None:
    """The cut-off the model decides at and its holdout numbers (binary), without the stored curve."""
    point = v.operating_point
    if v.task != "binary" or not point:
        return None
    return {k: point.get(k) for k in ("mode", "value", "threshold", "chosen_on", "chosen_by", "holdout", "sentence")}


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4f}"
    return "—" if x in (None, "") else str(x)


def _built_lines(b: dict[str, Any]) -> list[str]:
    lines = []
    if b.get("members"):
        lines.append("A weighted ensemble: " + ", ".join(f"{m['learner']} × {_fmt(m['weight'])}" for m in b["members"])
                     + " (raw scores added with these weights).")
    elif b.get("kind") == "default":
        lines.append("The default HistGradientBoosting model (nothing beat it beyond noise).")
    lines.append(f"Chosen on: {_fmt(b.get('chosen_on'))}")
    lines.append(f"Delivered model fit on: {_fmt(b.get('delivered_model_fit_on'))}; holdout numbers and evidence come from "
                 "the same recipe fitted on the train and validation rows.")
    return lines


def _sections(card: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Headline -> lines: the one structure both renderers print."""
    m, use, data, met = card["model"], card["intended_use"], card["data"], card["metrics"]
    out = [
        ("Model", [f"Project: {_fmt(m['project'])}, version {m['version']} (id {m['version_id']}), status {m['status']}",
                   f"Task: {m['task']} predicting '{m['target']}' with {m['learner']}",
                   f"Artifact sha256: {m['artifact_sha256']}", f"Built by {_fmt(m['created_by'])} on {_fmt(m['created_at'])}"]),
        ("Intended use", [f"Question: {_fmt(use['question'])}", f"Decision it informs: {_fmt(use['decision'])}",
                          f"Success criterion: {_fmt(use['success_criterion'])}"]),
        ("Data", [f"Dataset {_fmt(data['name'])} ({_fmt(data['rows'])} rows x {_fmt(data['columns'])} columns, sha256 {_fmt(data['sha256'])})",
                  f"Features used: {', '.join(data['features']) or '—'}",
                  f"Sensitive columns (kept for the fairness check): {', '.join(data['sensitive_columns']) or 'none'}"]),
        ("Metrics against baseline", [f"{met['metric']} on the holdout: {_fmt(met['holdout'])} (baseline {_fmt(met['baseline'])}, "
                                      f"default model {_fmt(met['default_model'])})",
                                      f"Grade: {met['grade']} — {met['grade_reason']}"]),
        ("How it was built", _built_lines(card.get("how_it_was_built") or {})),
        ("Operating point", [card["operating_point"]["sentence"], f"Cut-off: {_fmt(card['operating_point']['threshold'])} "
                             f"(chosen as '{card['operating_point']['mode']}' on {card['operating_point']['chosen_on']})"]
         if card.get("operating_point") else ["Not a yes/no model: it outputs the most likely class or a number."]),
        ("Fairness", [f"[{f.get('severity', '')}] {f.get('message', '')}" for f in card["fairness"]["findings"]]
         or (["No findings."] if card["fairness"]["computed"] else ["Not computed."])),
        ("Top drivers", [f"{d.get('column')}: mean |SHAP| {_fmt(d.get('mean_abs_shap'))}" for d in card["top_drivers"]]
         or ["Not computed."]),
        ("Limitations", list(card["limitations"])),
    ]
    a = card["approval"]
    if a:
        snap = a.get("evidence_snapshot") or {}
        lines = [f"Approved by {', '.join(x or '?' for x in a['approved_by'])} on {_fmt(a['approved_at'])}",
                 f"Approved artifact sha256: {a['artifact_sha256']}", f"Comment: {_fmt(a['comment'])}"]
        if a.get("override_justification"):
            lines.append(f"Policy override justification: {a['override_justification']}")
        lines += [f"Frozen check {c.get('name')}: {'pass' if c.get('passed') else 'FAIL'} — {c.get('message', '')}"
                  for c in snap.get("policy", [])]
        out.append(("Approval record (frozen evidence)", lines))
    else:
        out.append(("Approval record (frozen evidence)", ["Not approved."]))
    if card["deployments"]:
        out.append(("Deployments", [f"#{d['id']} {d['environment']}: {d['status']} ({_fmt(d['reference'])}, {_fmt(d['at'])})"
                                    for d in card["deployments"]]))
    return out


def render_markdown(card: dict[str, Any]) -> str:
    m = card["model"]
    parts = [f"# Model card: {m['project']} v{m['version']}", ""]
    for title, lines in _sections(card):
        parts += [f"## {title}", ""] + [f"- {line}" for line in lines] + [""]
    return "\n".join(parts)


def render_html(card: dict[str, Any]) -> str:
    m = card["model"]
    title = html.escape(f"Model card: {m['project']} v{m['version']}")
    body = [f"<h1>{title}</h1>"]
    for head, lines in _sections(card):
        body.append(f"<h2>{html.escape(head)}</h2><ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>"
            + "".join(body) + "</body></html>")
