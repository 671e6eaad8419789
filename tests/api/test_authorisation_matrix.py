"""Every endpoint x every role: allowed roles get past the role check (never 401/403/5xx),
the others get 403 with the error shape, and nobody gets in without a token.

Mutating endpoints are called on ids that do not exist: the role check comes first in every
service function, so an allowed role sees 404 (or 409/422) and nothing changes; a refused one 403.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import BY_ROLE
from tests.api.records import records_for

ALL = {"analyst", "scientist", "deployer", "admin"}
BUILDERS = {"analyst", "scientist"}
MISSING = 999_999

#: (method, path, json body or None, roles allowed). {a}: approved version, {c}: draft version,
#: {p}: project, {d}: dataset, {m}: an id that does not exist.
MATRIX = [
    ("GET", "/api/v1/me", None, ALL),
    ("GET", "/api/v1/projects", None, ALL),
    ("POST", "/api/v1/projects", {"name": ""}, {"analyst", "scientist", "admin"}),
    ("GET", "/api/v1/projects/{p}", None, ALL),
    ("GET", "/api/v1/projects/{p}/datasets", None, {"analyst", "scientist", "admin"}),
    ("UPLOAD", "/api/v1/projects/{m}/datasets", None, BUILDERS),
    ("GET", "/api/v1/datasets/{d}", None, {"analyst", "scientist", "admin"}),
    ("POST", "/api/v1/datasets/{m}/training-jobs", {"target": "churned"}, BUILDERS),
    ("GET", "/api/v1/jobs/{m}", None, {"analyst", "scientist", "admin"}),
    ("POST", "/api/v1/jobs/{m}/cancel", None, {"analyst", "scientist", "admin"}),
    ("GET", "/api/v1/model-versions?status=approved", None, ALL),
    ("GET", "/api/v1/model-versions/{a}", None, ALL),
    ("GET", "/api/v1/model-versions/{a}/evidence", None, ALL),
    ("GET", "/api/v1/model-versions/{a}/evidence/shap-summary", None, ALL),
    ("GET", "/api/v1/model-versions/{a}/evidence/fairness", None, ALL),
    ("POST", "/api/v1/model-versions/{a}/explain", "ROW", BUILDERS),
    ("GET", "/api/v1/model-versions/{a}/review", None, ALL),
    ("PUT", "/api/v1/model-versions/{m}/operating-point", {"mode": "recall", "value": 60}, BUILDERS),
    ("POST", "/api/v1/model-versions/{a}/operating-point/preview", {"mode": "top_share", "value": 10}, ALL),
    ("GET", "/api/v1/review-queue", None, ALL),
    ("POST", "/api/v1/model-versions/{m}/share", {}, BUILDERS),
    ("POST", "/api/v1/model-versions/{m}/withdraw", None, BUILDERS),
    ("POST", "/api/v1/model-versions/{m}/claim", None, {"scientist"}),
    ("POST", "/api/v1/model-versions/{m}/release", None, {"scientist"}),
    ("POST", "/api/v1/model-versions/{m}/approve", {}, {"scientist"}),
    ("POST", "/api/v1/model-versions/{m}/reject", {"comment": "no"}, {"scientist"}),
    ("POST", "/api/v1/model-versions/{m}/request-changes", {"comment": "more"}, {"scientist"}),
    ("POST", "/api/v1/model-versions/{m}/revoke", {"reason": "bad"}, {"scientist", "admin"}),
    ("GET", "/api/v1/model-versions/{a}/comments", None, ALL),
    ("POST", "/api/v1/model-versions/{m}/comments", {"body": "hi"}, BUILDERS),
    ("GET", "/api/v1/model-versions/{a}/artifact", None, {"scientist", "deployer", "admin"}),
    ("GET", "/api/v1/model-versions/{c}/artifact", None, {"scientist", "admin"}),
    ("GET", "/api/v1/model-versions/{a}/model-card", None, ALL),
    ("GET", "/api/v1/approvals/check?sha256={sha}", None, ALL),
    ("POST", "/api/v1/model-versions/{m}/deployments", {"environment": "prod"}, {"deployer", "admin"}),
    ("GET", "/api/v1/model-versions/{a}/deployments", None, ALL),
    ("GET", "/api/v1/deployments?environment=prod", None, ALL),
    ("POST", "/api/v1/deployments/{m}/rollback", {}, {"deployer", "admin"}),
    ("GET", "/api/v1/events?after=0", None, ALL),
    ("POST", "/api/v1/webhooks", {"url": "ftp://example.invalid/x", "secret": "s" * 20}, {"deployer", "admin"}),
    ("GET", "/api/v1/webhooks", None, {"deployer", "admin"}),
    ("DELETE", "/api/v1/webhooks/{m}", None, {"deployer", "admin"}),
    ("GET", "/api/v1/webhooks/{m}/deliveries", None, {"deployer", "admin"}),
    ("POST", "/api/v1/model-versions/{a}/predict", "RECORDS", {"analyst", "scientist", "deployer"}),
    ("POST", "/api/v1/model-versions/{c}/predict", "RECORDS", {"scientist"}),
    ("UPLOAD", "/api/v1/model-versions/{a}/predict/batch", None, {"analyst", "scientist", "deployer"}),
    ("GET", "/api/v1/projects/{p}/business-inputs", None, {"analyst", "scientist", "admin"}),
    ("PUT", "/api/v1/projects/{m}/business-inputs", {"decisions_per_month": 10}, {"analyst", "scientist", "admin"}),
    ("POST", "/api/v1/projects/{m}/feasibility", {"dataset_id": 1, "target": "churned"}, BUILDERS),
    ("GET", "/api/v1/projects/{m}/feasibility", None, {"analyst", "scientist", "admin"}),
    ("GET", "/api/v1/portfolio", None, {"analyst", "scientist", "admin"}),
    ("POST", "/api/v1/model-versions/{m}/feedback", {"feedback": [{"request_id": "r", "actual": "yes"}]},
     {"analyst", "scientist", "deployer"}),
    ("UPLOAD", "/api/v1/model-versions/{m}/feedback/file", None, {"analyst", "scientist", "deployer"}),
    ("POST", "/api/v1/model-versions/{m}/predictions", {"predictions": [{"request_id": "r"}]}, {"scientist", "deployer"}),
    ("GET", "/api/v1/model-versions/{a}/health", None, ALL),
    ("GET", "/api/v1/model-versions/{a}/monitoring", None, ALL),
    ("GET", "/api/v1/model-versions/{a}/monitoring/checks", None, ALL),
    ("POST", "/api/v1/model-versions/{m}/monitoring/checks", None, {"scientist", "deployer", "admin"}),
    ("POST", "/api/v1/model-versions/{m}/retrain", {}, BUILDERS),
    ("GET", "/api/v1/monitoring", None, ALL),
]


def _call(client, world, method, path, body, username):
    sha = client.get(f"/api/v1/model-versions/{world.approved_id}", headers=world.headers("sam")).json()["artifact_sha256"]
    url = path.format(a=world.approved_id, c=world.draft_id, p=world.project_id, d=world.dataset_id, m=MISSING, sha=sha)
    headers = world.headers(username)
    if body == "RECORDS":
        body = {"records": records_for(client, world, world.approved_id)}
    elif body == "ROW":
        body = {"row": records_for(client, world, world.approved_id, 1)[0]}
    if method == "UPLOAD":
        csv = "customer_id,tenure_months\nC-1,3\n"
        return client.post(url, files={"file": ("rows.csv", csv.encode(), "text/csv")}, headers=headers)
    return client.request(method, url, json=body, headers=headers)


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(("method", "path", "body", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_role_matrix(client, world, method, path, body, allowed, role):
    r = _call(client, world, method, path, body, BY_ROLE[role])
    assert r.status_code < 500, r.text
    if role in allowed:
        assert r.status_code not in (401, 403), f"{role} refused: {r.text}"
    else:
        assert r.status_code == 403, f"{role} got {r.status_code}: {r.text[:300]}"
        assert r.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(("method", "path", "body", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_no_token_is_401_everywhere(client, world, method, path, body, allowed):
    r = _call(client, world, method, path, None if body in ("RECORDS", "ROW") else body, None)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["code"] == "unauthenticated"
