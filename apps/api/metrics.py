"""Overload answered at once, and ``/metrics`` in Prometheus text format (prometheus-client).

Why a bounded in-flight count: above saturation a server that queues every request
makes all of them slow until callers time out; refusing the excess with ``503`` and
``Retry-After`` at once keeps the accepted requests fast and tells callers to back off.
The limit is per process (``api_max_in_flight``), like every cache here.

Why also loop lag: the one-record hot path scores on the event loop without awaiting, so
a saturated process has one request in flight and a queue of parsed requests waiting for
the loop (measured: 3x the peak offered, p99 5.8 s, with the in-flight limit never
reached).  A heartbeat timer shows how far behind the loop is: while the pending beat is
overdue by more than ``api_max_loop_lag_ms``, new predictions are answered 503 at once (a
refusal costs a fraction of an answer), so the backlog drains and the answers that are
given stay fast.

Why two lag limits: ``api_max_loop_lag_ms`` (40 ms) lets a spike pass — a garbage
collection, a batch route holding the GIL — without refusing anyone.  But under a
standing overload it is too lenient: each loop turn serves 40 ms of predictions and only
then refuses, so answers (served and refused) come slower than requests arrive and the
queue grows anyway (measured: 3x the peak offered, 1,240 served/s, p99 4.7 s).  So once
every beat for :attr:`InFlightLimit.STANDING` seconds has been late — a standing queue,
not a spike (the idea of CoDel's interval) — the limit drops to :attr:`InFlightLimit.SHED_LAG`
until a beat runs on time again: a turn then serves a few milliseconds and refuses the rest
cheaply, and every request gets its answer (200 or 503) within tens of milliseconds.

The registry is per app (not prometheus-client's global one), so several apps in one
process (tests) do not share counts.  With ``--workers N`` each process answers
``/metrics`` with its own counts; scrape each process or sum behind the proxy
(docs/api.md, "Serving at scale").
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily

__all__ = ["IN_FLIGHT_EXEMPT", "ApiMetrics", "InFlightLimit", "router"]

#: Never refused and not counted against the limit: a load balancer's probe and the scraper must get through.
IN_FLIGHT_EXEMPT = ("/health", "/metrics")
#: Only one-record predictions are refused for loop lag: they are the work that runs on the loop (and the traffic
#: that saturates it). Other routes run in threads, whose GIL contention can hold the loop back briefly under
#: ordinary concurrency; refusing a project's settings write for that would be wrong.
LAG_SHED_SUFFIX = "/predict"
_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ApiMetrics:
    """The app's metrics: requests and latencies by route template, rejections, in flight; cache and log
    counters read from their owners at scrape time."""

    def __init__(self, state):
        self.registry = CollectorRegistry()
        self.requests = Counter("canvas_api_requests_total", "Requests answered, by route template, method and status",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("canvas_api_request_seconds", "Time from receiving a request to its last byte",
                                 ["route"], buckets=_BUCKETS, registry=self.registry)
        self.rejected = Counter("canvas_api_rejected_total", "Requests refused with 503 (in-flight limit or loop lag)",
                                ["reason"], registry=self.registry)
        for reason in ("in_flight", "loop_lag"):  # shown as 0 before the first refusal
            self.rejected.labels(reason)
        self.in_flight = Gauge("canvas_api_in_flight", "Requests being handled now", registry=self.registry)
        self.shedding = Gauge("canvas_api_shedding", "1 while a standing queue has the short lag limit in force",
                              registry=self.registry)
        self.registry.register(_StateCollector(state))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StateCollector:
    """Cache hits/misses (serving state) and prediction-log counts, as counters read when scraped."""

    def __init__(self, state):
        self.state = state

    def collect(self):
        s = self.state.serving.stats()
        cache = CounterMetricFamily("canvas_serving_cache", "Serving cache lookups by cache and result",
                                    labels=["cache", "result"])
        for name in ("token", "version", "scorer"):
            cache.add_metric([name, "hit"], s[f"{name}_hits"])
            cache.add_metric([name, "miss"], s[f"{name}_misses"])
        yield cache
        paths = CounterMetricFamily("canvas_predict_answers", "Predict answers by path (fast: hot path; frame: pandas)",
                                    labels=["path"])
        paths.add_metric(["fast"], s["fast"])
        paths.add_metric(["frame"], s["slow"])
        yield paths
        yield CounterMetricFamily("canvas_serving_scorers_evicted", "Fast scorers dropped (version no longer released)",
                                  value=s["evicted"])
        log = self.state.prediction_log.stats()
        yield CounterMetricFamily("canvas_prediction_log_dropped", "Prediction-log rows dropped (buffer full)",
                                  value=log["dropped"])
        yield CounterMetricFamily("canvas_prediction_log_written", "Prediction-log rows written", value=log["written"])


class InFlightLimit:
    """Pure ASGI: count requests in flight and watch the loop's lag; beyond either limit answer 503 + Retry-After
    without reading the body."""

    #: Seconds between heartbeats (the lag is known to within this).
    BEAT = 0.005
    #: A beat later than this is late; under a standing queue it is also the lag limit.
    SHED_LAG = 0.005
    #: Seconds of nothing but late beats that make a standing queue (a spike is shorter).
    STANDING = 0.1

    def __init__(self, app, limit: int, retry_after: int, metrics: ApiMetrics, prefix: str = "",
                 max_lag_ms: float = 0.0):
        self.app, self.limit, self.retry_after, self.metrics, self.prefix = app, limit, retry_after, metrics, prefix
        self.active = 0  # one event loop per process: no lock needed
        self.max_lag = max_lag_ms / 1000.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = 0.0  # when the pending heartbeat should run (loop clock)
        self._late_since: float | None = None  # when the first of an unbroken run of late beats was due
        # bound once: a refusal must cost as little as possible (it is most of the work under overload)
        self._refused = {reason: metrics.rejected.labels(reason) for reason in ("in_flight", "loop_lag")}
        self._refused_answers: dict[str, object] = {}

    def _beat(self) -> None:
        now = self._loop.time()
        if now - self._due > self.SHED_LAG:
            if self._late_since is None:
                self._late_since = self._due
        else:
            self._late_since = None
        self.metrics.shedding.set(1 if self._standing(now) else 0)
        self._due = now + self.BEAT
        self._loop.call_at(self._due, self._beat)

    def _standing(self, now: float) -> bool:
        return self._late_since is not None and now - self._late_since >= self.STANDING

    def _too_far_behind(self) -> bool:
        """Whether the loop is further behind than the limit of the moment: :attr:`SHED_LAG` under a standing
        queue, else ``max_lag``; how far behind is how overdue the pending heartbeat is."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # first request on this loop (tests make several loops): start beating
            self._loop, self._due, self._late_since = loop, loop.time(), None
            self._beat()
            return False
        now = loop.time()
        return now - self._due > (self.SHED_LAG if self._standing(now) else self.max_lag)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in IN_FLIGHT_EXEMPT:
            return await self.app(scope, receive, send)
        m = self.metrics
        reason = "in_flight" if self.active >= self.limit else (
            "loop_lag" if self.max_lag and scope["path"].endswith(LAG_SHED_SUFFIX) and self._too_far_behind()
            else None)
        if reason:
            self._refused[reason].inc()
            method = scope["method"]
            answers = self._refused_answers.get(method)
            if answers is None:
                answers = self._refused_answers[method] = m.requests.labels("overloaded", method, "503")
            answers.inc()
            await _overloaded(send, self.retry_after)
            return
        self.active += 1
        m.in_flight.inc()
        started, status = time.perf_counter(), [500]

        async def tracked(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            self.active -= 1
            m.in_flight.dec()
            route = getattr(scope.get("route"), "path", None)
            if route is None:
                route = "unmatched"  # bounded label values: never the raw path
            elif self.prefix and scope["path"].startswith(self.prefix + "/") and not route.startswith(self.prefix):
                route = self.prefix + route  # an included router's route knows only its own part of the path
            m.requests.labels(route, scope["method"], str(status[0])).inc()
            m.latency.labels(route).observe(time.perf_counter() - started)


_OVERLOADED_BODY = (b'{"error":{"code":"overloaded","message":"This server is at its limit of requests in flight; '
                    b'retry after the Retry-After seconds.","details":{}}}')


async def _overloaded(send, retry_after: int) -> None:
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/json"), (b"retry-after", str(retry_after).encode()),
        (b"content-length", str(len(_OVERLOADED_BODY)).encode())]})
    await send({"type": "http.response.body", "body": _OVERLOADED_BODY})


router = APIRouter(tags=["health"])


@router.get("/metrics", summary="Prometheus metrics of this API process (text format)", response_class=Response,
            responses={200: {"description": "Prometheus text exposition format.",
                             "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics(request: Request) -> Response:
    return Response(request.app.state.canvas.metrics.render(), media_type=CONTENT_TYPE_LATEST)
