"""The one-record predict hot path: per-process caches in front of the same rules as the frame path.

Why: deployment tooling sends one record per request, and the frame path spends
nearly all its time outside the model (a token query, a version query, pandas
frames).  :class:`ServingState` (one per API process) keeps

* the caller's token -> user, and each version's serving fields (status, digest,
  schema, operating point), each re-read from the database at most every
  ``serving_cache_seconds`` (default 0.5 s): a revoke, rollback or disabled token
  reaches every process within that time, with no cross-process messaging and a
  database read per version per half second instead of two per request;
* per (digest, operating point), a :class:`~automl_canvas.registry.fast_scoring.FastScorer`
  built from the model :func:`~automl_canvas.registry.service.load_model` returns
  (digest-checked, deciding at the version's threshold); it is dropped when a
  refresh finds its version no longer released.

The rules are the frame path's own functions (``require_predict``,
``check_serving_access``, ``check_records``), so both refuse the same input with
the same error.  Anything the hot path does not cover (several records, a learner
without a fast scorer) returns None and the caller uses
:func:`~automl_canvas.serving.service.predict_records`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from ..auth.resources import NeedsLookup
from ..auth.tokens import authenticate_token
from ..config import Settings
from ..db import session_scope
from ..monitoring.log import check_request_id, is_logged, new_request_id, prediction_rows
from ..registry.fast_scoring import FastScorer, build_scorer
from ..registry.records import check_records
from ..registry.release import RELEASED_STATES
from ..registry.service import load_model, version_threshold
from ..serialization import json_safe
from .service import add_contributions, check_serving_access, confidence_label, require_predict, serving_fields

__all__ = ["NeedsDatabase", "ServingState"]

_MAX_ENTRIES = 1024


class NeedsDatabase(Exception):
    """Raised by ``predict(..., io=False)`` when a cache entry is missing or stale: call again off the event loop."""


class _TimedCache:
    """Entries that are fresh for ``ttl`` seconds (bounded, oldest dropped first); counts hits and misses."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is not None and time.monotonic() - item[0] < self.ttl:
                self.hits += 1
                return item[1]
            self.misses += 1
            return None

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > _MAX_ENTRIES:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class ServingState:
    """One API process's serving caches (create one per app; never shared between processes)."""

    def __init__(self, engine: Engine, settings: Settings):
        self.engine, self.settings = engine, settings
        ttl = settings.serving_cache_seconds
        self.tokens = _TimedCache(ttl)
        self.versions = _TimedCache(ttl)
        self._scorers: dict[tuple[str, float | None], FastScorer | None] = {}
        self._scorer_of: dict[int, tuple[str, float | None]] = {}
        self._lock = threading.Lock()
        self.scorer_hits = self.scorer_misses = self.fast = self.slow = self.evicted = 0

    # -- caches ----------------------------------------------------------------
    def actor(self, raw_token: str | None, *, io: bool = True):
        """The token's user (AuthenticationError as ``authenticate_token`` raises it); re-checked every TTL."""
        key = hashlib.sha256(raw_token.encode()).hexdigest() if raw_token else None
        cached = self.tokens.get(key) if key else None
        if cached is not None:
            return cached
        if not io:
            raise NeedsDatabase
        with session_scope(self.engine) as s:
            actor = authenticate_token(s, raw_token)  # also keeps last_used_at (at most a write a minute)
        self.tokens.put(key, actor)
        return actor

    def version(self, version_id: int, *, io: bool = True):
        """The version's serving fields; a refresh that finds it no longer released evicts its scorer."""
        cached = self.versions.get(version_id)
        if cached is not None:
            return cached
        if not io:
            raise NeedsDatabase
        with session_scope(self.engine) as s:
            version = serving_fields(s, version_id)
        self.versions.put(version_id, version)
        if version.status not in RELEASED_STATES:
            self.evict(version_id)
        return version

    def evict(self, version_id: int) -> None:
        with self._lock:
            key = self._scorer_of.pop(version_id, None)
            if key is not None and key not in self._scorer_of.values() and self._scorers.pop(key, None) is not None:
                self.evicted += 1

    def scorer(self, version, *, io: bool = True) -> FastScorer | None:
        """The version's fast scorer (None: its learner takes the frame path), built once per digest and cut-off."""
        key = (version.artifact_sha256, version_threshold(version))
        with self._lock:
            if key in self._scorers:
                self.scorer_hits += 1
                self._scorer_of[version.id] = key
                return self._scorers[key]
        if not io:
            raise NeedsDatabase  # (disk, really: the artifact is read and hashed once)
        scorer = build_scorer(load_model(self.settings, version))
        with self._lock:
            self.scorer_misses += 1
            self._scorers[key] = scorer
            self._scorer_of[version.id] = key
        return scorer

    # -- the hot path ------------------------------------------------------------
    def predict(self, actor, version_id: int, records: Any, explain: bool, *, log=None, request_id: str | None = None,
                io: bool = True) -> dict[str, Any] | None:
        """The frame path's answer for one record, or None when the frame path must answer instead."""
        request_id = check_request_id(request_id) if request_id is not None else new_request_id()
        require_predict(actor)
        version = self.version(version_id, io=io)
        try:
            check_serving_access(actor, version)  # (the frame path's order, so the same error wins)
        except NeedsLookup:  # the caller's project membership decides: the frame path reads it
            return None
        needed = check_records(version.feature_schema, records, self.settings.predict_max_rows)
        if len(records) != 1:
            return None
        if explain and len(records) > self.settings.predict_max_explained_rows:
            return None  # the frame path refuses it, in its words
        if explain and not io:
            raise NeedsDatabase  # the contributions read the version's evidence: answered in a thread
        scorer = self.scorer(version, io=io)
        if scorer is None:
            return None
        record = {k: records[0][k] for k in needed}
        prediction, proba, k = scorer.score(record)
        item: dict[str, Any] = {"prediction": prediction}
        classes = [str(c) for c in (version.feature_schema.get("classes") or [])] if version.task != "regression" else []
        if classes and proba is not None:
            said = float(proba[k])  # the chance of the outcome it says, at the stored cut-off
            item.update(probabilities={c: float(p) for c, p in zip(classes, proba)}, confidence=said,
                        confidence_label=confidence_label(said))
        logged = log is not None and is_logged(version.status)
        if logged:
            log.submit(prediction_rows(version_id, request_id, [record], [item], classes, "api",
                                       self.settings.monitoring_input_sample_rate))
        if explain:  # scored above; only the contributions are left (the frame path's own function)
            with session_scope(self.engine) as s:
                add_contributions(s, self.settings, actor, version, pd.DataFrame([record], columns=needed), [item])
        answer = {"version_id": version_id, "task": version.task, "request_id": request_id, "logged": logged,
                  "predictions": [item]}
        if getattr(scorer.model, "threshold", None) is not None:
            answer["decision_threshold"] = scorer.model.threshold  # binary: 'yes' when its probability is >= this
        self.fast += 1
        return json_safe(answer)

    def stats(self) -> dict[str, int]:
        """Counters for /metrics: cache hits and misses, answers by path, scorers evicted."""
        return {"token_hits": self.tokens.hits, "token_misses": self.tokens.misses, "version_hits": self.versions.hits,
                "version_misses": self.versions.misses, "scorer_hits": self.scorer_hits,
                "scorer_misses": self.scorer_misses, "fast": self.fast, "slow": self.slow, "evicted": self.evicted}
