"""Webhooks against a real receiver on 127.0.0.1 (allowlisted in the test world's settings): signed the Standard
Webhooks way (and with the deprecated X-Canvas-Signature), sent by a real worker (never by the request), retried
after the receiver first answers 500, with the event id for de-duplication and a delivery log.

With default settings internal targets are refused: at subscription time (after DNS resolution) and again at
every delivery. No test here connects anywhere outside 127.0.0.0/8: refusals happen before any connection."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from automl_canvas.db import session_scope
from automl_canvas.models import WebhookDelivery
from automl_canvas.runner.worker import Worker
from automl_canvas.webhooks import dispatch_once, verify_signature, verify_standard
from tests.helpers import users_with_tokens

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
    assert verify_signature(SECRET, h2["x-canvas-signature"], b2)  # deprecated header, still sent this release
    assert h1["webhook-id"] == h2["webhook-id"] == f"evt_{event['id']}"  # Standard Webhooks: same id on every retry
    assert verify_standard(SECRET, h2, b2) and h2["webhook-signature"].startswith("v1,")
    assert not verify_standard(SECRET, h2, b2.replace(b"webhook-env", b"webhook-evil"))
    assert not verify_standard(SECRET, {**h2, "webhook-id": "evt_1"}, b2)
    assert not verify_standard(SECRET, h2, b2, now=int(h2["webhook-timestamp"]) + 3600)
    assert _standard_reference(SECRET, h2, b2) == h2["webhook-signature"]
    assert not verify_signature(SECRET, h2["x-canvas-signature"], b2.replace(b"webhook-env", b"webhook-evil"))
    assert not verify_signature("another-secret-entirely", h2["x-canvas-signature"], b2)
    ts = int(h2["x-canvas-signature"].split(",")[0][2:])
    assert not verify_signature(SECRET, h2["x-canvas-signature"], b2, now=ts + 3600)  # replayed much later

    log = client.get(f"/api/v1/webhooks/{sub.json()['id']}/deliveries", headers=h).json()
    assert len(log) == 1 and log[0]["status"] == "delivered" and log[0]["attempts"] == 2
    assert [e["status_code"] for e in log[0]["log"]] == [500, 200]
    assert client.delete(f"/api/v1/webhooks/{sub.json()['id']}", headers=h).status_code == 200
    assert sub.json()["id"] not in [s["id"] for s in client.get("/api/v1/webhooks", headers=h).json()]


def _standard_reference(secret: str, headers: dict, body: bytes) -> str:
    """The signature as the Standard Webhooks spec writes it, computed here independently of the product."""
    import base64
    import hashlib
    import hmac

    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


@pytest.fixture(scope="module")
def strict(world):
    """The same world served with default webhook rules (no network allowlisted)."""
    from apps.api import create_app

    settings = world.settings.model_copy(update={"webhook_allowed_networks": []})
    with TestClient(create_app(settings, engine=world.engine), raise_server_exceptions=False) as c:
        yield settings, c


@pytest.mark.parametrize(("url", "kind"), [
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://10.0.0.1/hook", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]:9000/hook", "loopback"),
    ("http://localhost:8080/hook", "loopback"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://127.1/hook", "loopback"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://192.168.1.20/hook", "private"),
])
def test_internal_targets_are_refused_by_default(strict, world, url, kind):
    _settings, c = strict
    h = world.headers("dee")
    before = len(c.get("/api/v1/webhooks", headers=h).json())
    r = c.post("/api/v1/webhooks", json={"url": url, "secret": SECRET}, headers=h)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "unsafe_target" and err["details"]["kind"] == kind
    assert f" {kind} address;" in err["message"] and "webhook_allowed_networks" in err["message"]
    if "localhost" in url:
        assert err["message"].startswith("The webhook host localhost resolves to 127.0.0.1") or "::1" in err["message"]
    assert len(c.get("/api/v1/webhooks", headers=h).json()) == before  # nothing stored


def test_every_resolved_address_must_be_allowed_and_unresolvable_hosts_are_named(strict):
    """A stand-in for DNS (no query leaves the machine): one internal answer among public ones is enough to refuse."""
    import socket

    from automl_canvas.errors import UnsafeTargetError, ValidationError
    from automl_canvas.webhooks import resolve_target

    settings, _c = strict
    host, port, address = resolve_target("https://hooks.example.com/x", settings, resolver=lambda h, p: ["93.184.216.34"])
    assert (host, port, str(address)) == ("hooks.example.com", 443, "93.184.216.34")
    with pytest.raises(UnsafeTargetError, match="hooks.example.com resolves to 10.1.2.3, which is a private address"):
        resolve_target("https://hooks.example.com/x", settings, resolver=lambda h, p: ["93.184.216.34", "10.1.2.3"])

    def no_such_host(h, p):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(ValidationError, match="hooks.example.com cannot be resolved"):
        resolve_target("https://hooks.example.com/x", settings, resolver=no_such_host)
    allow = settings.model_copy(update={"webhook_allowed_networks": ["10.1.0.0/16"]})
    assert str(resolve_target("http://10.1.2.3/x", allow)[2]) == "10.1.2.3"
    with pytest.raises(UnsafeTargetError):
        resolve_target("http://10.2.0.1/x", allow)  # only the allowlisted network opens


def test_delivery_checks_the_target_again(strict, client, world):
    """Allowed when subscribed, refused when delivered (the rules changed, or DNS now answers an internal address)."""
    strict_settings, _c = strict
    h = world.headers("dee")
    with Receiver(failures=0) as rx:
        sub = client.post("/api/v1/webhooks", json={"url": rx.url, "secret": SECRET, "event_types": ["deployment.recorded"]},
                          headers=h)
        assert sub.status_code == 201, sub.text
        dep = client.post(f"/api/v1/model-versions/{world.approved_id}/deployments",
                          json={"environment": "recheck-env", "reference": "recheck"}, headers=h)
        assert dep.status_code == 201, dep.text
        dispatch_once(world.engine, strict_settings)
        assert rx.calls == []  # never connected
        with session_scope(world.engine) as s:
            d = s.query(WebhookDelivery).filter(WebhookDelivery.subscription_id == sub.json()["id"]).one()
            assert (d.status, d.attempts, d.last_status_code) == ("pending", 1, None)
            assert d.last_error.startswith("Not sent: The webhook address 127.0.0.1 is a loopback address")
            s.query(WebhookDelivery).filter(WebhookDelivery.id == d.id).update({"next_attempt_at": d.created_at})
        dispatch_once(world.engine, world.settings)  # allowlisted again: the retry goes out
        assert len(rx.calls) == 1 and rx.calls[0][2] == 200
    assert client.delete(f"/api/v1/webhooks/{sub.json()['id']}", headers=h).status_code == 200


def test_only_the_owner_or_an_admin_sees_or_deletes_a_subscription(client, world):
    with session_scope(world.engine) as s:
        _users, tokens = users_with_tokens(s, world.settings, {"dex": ("deployer",)}, "webhook owner test")
    other = {"Authorization": f"Bearer {tokens['dex']}"}
    h, admin = world.headers("dee"), world.headers("root")
    sub = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/owned", "secret": SECRET}, headers=h).json()
    assert sub["id"] in [x["id"] for x in client.get("/api/v1/webhooks", headers=h).json()]
    assert sub["id"] not in [x["id"] for x in client.get("/api/v1/webhooks", headers=other).json()]
    assert sub["id"] in [x["id"] for x in client.get("/api/v1/webhooks", headers=admin).json()]
    for method, path in (("GET", f"/api/v1/webhooks/{sub['id']}/deliveries"), ("DELETE", f"/api/v1/webhooks/{sub['id']}")):
        r = client.request(method, path, headers=other)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
    assert client.get(f"/api/v1/webhooks/{sub['id']}/deliveries", headers=admin).status_code == 200
    assert client.delete(f"/api/v1/webhooks/{sub['id']}", headers=admin).status_code == 200
    assert sub["id"] not in [x["id"] for x in client.get("/api/v1/webhooks", headers=h).json()]
