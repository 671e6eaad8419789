"""Webhooks against a real receiver on 127.0.0.1: signed with HMAC-SHA256 over "<t>.<body>",
sent by a real worker (never by the request), retried after the receiver first answers 500,
with the event id for de-duplication and a delivery log."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from automl_canvas.jobs.worker import Worker
from automl_canvas.webhooks import verify_signature

SECRET = "a-test-secret-of-some-length"


class Receiver:
    """An HTTP endpoint that fails the first ``failures`` deliveries with 500, then accepts."""

    def __init__(self, failures: int = 1):
        self.calls: list[tuple[dict, bytes, int]] = []
        self.failures = failures
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = 500 if len(receiver.calls) < receiver.failures else 200
                receiver.calls.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver(failures=1) as r:
        yield r


def test_only_http_urls_and_real_secrets(client, world):
    h = world.headers("dee")
    for url in ("ftp://127.0.0.1/x", "file:///etc/passwd", "javascript:alert(1)", "http://", "127.0.0.1:80"):
        r = client.post("/api/v1/webhooks", json={"url": url, "secret": SECRET}, headers=h)
        assert r.status_code == 422, url
    short = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "secret": "short"}, headers=h)
    assert short.status_code == 422
    unknown = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "secret": SECRET,
                                                    "event_types": ["version.exploded"]}, headers=h)
    assert unknown.status_code == 422


def test_signed_delivery_retried_after_a_500(client, world, receiver):
    h = world.headers("dee")
    sub = client.post("/api/v1/webhooks", json={"url": receiver.url, "secret": SECRET, "event_types": ["deployment.recorded"]},
                      headers=h)
    assert sub.status_code == 201 and "secret" not in sub.json()
    dep = client.post(f"/api/v1/model-versions/{world.approved_id}/deployments",
                      json={"environment": "webhook-env", "reference": "hook-test"}, headers=h)
    assert dep.status_code == 201
    assert receiver.calls == []  # nothing is sent inside the request

    worker = Worker(world.settings, engine=world.engine)
    t = threading.Thread(target=worker.run, daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 60
        while len(receiver.calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.stop.set()
        t.join(30)
    assert [c[2] for c in receiver.calls[:2]] == [500, 200]
    (h1, b1, _), (h2, b2, _) = receiver.calls[:2]
    assert h1["x-canvas-event-id"] == h2["x-canvas-event-id"] and b1 == b2  # same event, redelivered
    event = json.loads(b2)
    assert str(event["id"]) == h2["x-canvas-event-id"] and event["type"] == "deployment.recorded"
    assert event["data"]["deployment_id"] == dep.json()["id"]
    assert verify_signature(SECRET, h2["x-canvas-signature"], b2)
    assert not verify_signature(SECRET, h2["x-canvas-signature"], b2.replace(b"webhook-env", b"webhook-evil"))
    assert not verify_signature("another-secret-entirely", h2["x-canvas-signature"], b2)
    ts = int(h2["x-canvas-signature"].split(",")[0][2:])
    assert not verify_signature(SECRET, h2["x-canvas-signature"], b2, now=ts + 3600)  # replayed much later

    log = client.get(f"/api/v1/webhooks/{sub.json()['id']}/deliveries", headers=h).json()
    assert len(log) == 1 and log[0]["status"] == "delivered" and log[0]["attempts"] == 2
    assert [e["status_code"] for e in log[0]["log"]] == [500, 200]
    assert client.delete(f"/api/v1/webhooks/{sub.json()['id']}", headers=h).status_code == 200
    assert sub.json()["id"] not in [s["id"] for s in client.get("/api/v1/webhooks", headers=h).json()]
