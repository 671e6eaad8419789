"""Evidence: the stored SHAP summary and fairness report, and a per-row explanation."""

from __future__ import annotations

from fastapi import APIRouter

from automl_canvas.evidence.service import explain_what_if, get_evidence, list_evidence, load_document
from automl_canvas.models import EvidencePublic

from ..deps import Id, ctx_dep
from ..outputs import ExplainOut, FairnessOut, ShapSummaryOut
from ..schemas import ExplainIn

router = APIRouter(tags=["evidence"])


@router.get("/model-versions/{version_id}/evidence", response_model=list[EvidencePublic])
def evidence(version_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return list_evidence(s, ctx.actor, version_id)


@router.get("/model-versions/{version_id}/evidence/shap-summary", responses={200: {"model": ShapSummaryOut}},
            summary="Top drivers (mean |SHAP|) of the version")
def shap_summary(version_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return get_evidence(s, ctx.actor, version_id, "explanations").summary


@router.get("/model-versions/{version_id}/evidence/fairness", responses={200: {"model": FairnessOut}},
            summary="Fairness findings and the full group report")
def fairness(version_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        ev = get_evidence(s, ctx.actor, version_id, "fairness")
    return {"summary": ev.summary, "report": load_document(ctx.settings, ev, "report")}


@router.post("/model-versions/{version_id}/explain", responses={200: {"model": ExplainOut}},
             summary="Prediction and SHAP contributions for one row")
def explain(version_id: Id, body: ExplainIn, ctx: ctx_dep):
    return explain_what_if(ctx.engine, ctx.settings, ctx.actor, version_id, body.row)
