"""The FLAML search and the rebuilding of any configuration it tried.

This is the only module that imports FLAML (version churn stays here).  Known
traps handled here: FLAML's logger does not propagate (we attach a handler to
read progress), its search is not reproducible under a time budget (we record
every configuration and rebuild the chosen one deterministically), and it can
overrun its budget (the worker enforces a hard limit around the whole job).

With a Ray address (``AUTOML_CANVAS_RAY_ADDRESS`` or ``worker --ray``) the
search uses FLAML's own Ray integration: ``n_concurrent_trials`` trials at once,
each in a Ray worker process anywhere on the cluster; this process stays the
driver that chooses the next configurations.  A Tune callback records which
process and node ran each trial (the evidence that the cluster did the work)
and feeds the progress bar, since FLAML's log lines only come at the end then.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TrainingConfigError
from .anytime import WrapUp, wrap_up_requested

__all__ = ["ALL_LEARNERS", "SearchResult", "build_learner", "default_learners", "flaml_version", "kept_models", "record_as_fitted",
           "run_search", "trained_config"]

#: Learners the search may use: strong tree ensembles plus an L1 logistic
#: regression for classification (FLAML refuses ``lrl1`` for regression).
ALL_LEARNERS: tuple[str, ...] = ("lgbm", "xgboost", "xgb_limitdepth", "catboost", "rf", "extra_tree", "lrl1")
_CLASSIFICATION_ONLY = frozenset({"lrl1", "lrl2"})


def default_learners(task: str) -> tuple[str, ...]:
    """The learners searched by default for a task (one place for that rule)."""
    if task == "regression":
        return tuple(name for name in ALL_LEARNERS if name not in _CLASSIFICATION_ONLY)
    return ALL_LEARNERS
_BEST_RE = re.compile(r"best estimator (\S+)'s best error=([0-9.eE+-]+)")


def flaml_version() -> str:
    import flaml

    return flaml.__version__


@dataclass
class SearchResult:
    best_learner: str
    best_config: dict[str, Any]
    best_loss: float
    trials: list[dict[str, Any]] = field(default_factory=list)
    wall_seconds: float = 0.0
    model: Any = None  # FLAML's fitted AutoML (trained on the training part only); None when stopped early
    #: True when the job was asked to wrap up during the search: the best trial so far is the result.
    stopped_early: bool = False
    #: With Ray: the cluster, the concurrency and which processes ran the trials.
    ray: dict[str, Any] | None = None
    #: True when the search ended before its budget to leave time for refitting its best model.
    ended_for_refits: bool = False


_AT_RE = re.compile(r"^\s*at ([0-9.]+)s,")


class _ProgressHandler(logging.Handler):
    """Reads FLAML's log lines into (trials done, best loss, best learner), and ends the search early when told to.

    ``stop_if(best_fit_seconds, longest_trial_seconds, partner_fit_seconds, kept)``, asked after every trial: True
    ends the search after that trial, keeping FLAML's best model (its time budget is set to what it has used, so
    its own loop ends as at any budget).  ``best_fit_seconds`` is what fitting the best configuration on all the
    search's training rows is expected to take (FLAML's measured time for it, scaled from its sample to every
    row); ``partner_fit_seconds`` the same for the best model of the runner-up learner, when its model was
    fitted on every training row and kept (``keep_models``: a blend member in waiting), else 0; ``kept()`` gives
    the models kept so far, as :func:`kept_models` does (for a rule that wants to try a blend of them first).
    """

    def __init__(self, on_trial: Callable[[int, float | None, str | None], None],
                 stop_if: Callable[[float, float, float, Callable[[], list]], bool] | None = None, automl: Any = None, rows: int = 0,
                 partners: bool = False):
        super().__init__(logging.INFO)
        self.on_trial = on_trial
        self.trials = 0
        self.best_loss: float | None = None
        self.best_learner: str | None = None
        self.stop_if, self.automl, self.rows, self.partners = stop_if, automl, rows, partners
        self.last_at, self.longest = 0.0, 0.0
        self.stopped_for_time = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad log line must never stop a search
            return
        if msg.startswith("iteration "):
            # A new trial is about to start, so every earlier one is in the log file: the one safe
            # place to stop a search that was asked to wrap up (FLAML has no stop call of its own).
            if wrap_up_requested():
                raise WrapUp()
            self.trials += 1
        m = _BEST_RE.search(msg)
        if m:
            self.best_learner, self.best_loss = m.group(1), float(m.group(2))
            self.on_trial(self.trials, self.best_loss, self.best_learner)
            at = _AT_RE.match(msg)
            if at and self.stop_if is not None:
                self._maybe_stop(float(at.group(1)))

    def _maybe_stop(self, at: float) -> None:
        self.longest, self.last_at = max(self.longest, at - self.last_at), at
        # FLAML's own record of its best configuration (private: read defensively, no stop when it is missing)
        states = getattr(self.automl, "_search_states", None) or {}
        best = getattr(self.automl, "_best_estimator", None)
        state = states.get(best)
        seconds, sample = getattr(state, "time2eval_best", None), getattr(state, "sample_size", None)
        if not isinstance(seconds, (int, float)) or not seconds > 0:
            return
        full = seconds * max(1.0, self.rows / sample) if isinstance(sample, int) and sample > 0 else seconds
        partner = self._partner_seconds(states, best) if self.partners else 0.0
        if self.stop_if(full, self.longest, partner, lambda: _kept(self.automl, self.rows)):
            self.automl._state.time_budget = 0  # FLAML has no stop call; its loop ends on this
            self.stopped_for_time = True

    def _partner_seconds(self, states: dict, best: str | None) -> float:
        """The fit time of the runner-up learner's best model, if it was fitted on every row and kept."""
        ranked = []
        for learner, st in states.items():
            loss, secs = getattr(st, "best_loss", None), getattr(st, "time2eval_best", None)
            if learner == best or not _kept_on_every_row(st, self.rows) or not isinstance(loss, (int, float)) \
                    or not isinstance(secs, (int, float)):
                continue
            ranked.append((float(loss), float(secs)))
        return min(ranked)[1] if ranked else 0.0


def _kept_on_every_row(state: Any, rows: int) -> bool:
    """Whether FLAML kept this learner's best model (``model_history``) and fitted it on every training row
    (not on one of its early samples; no sample size recorded means no sampling)."""
    est = getattr(state, "trained_estimator", None)
    if est is None or getattr(est, "_model", None) is None:
        return False
    sample = getattr(state, "best_config_sample_size", None)
    return not (isinstance(sample, int) and sample < rows)


def _ray_recorder(on_trial: Callable[[int, float | None, str | None], None]):
    """A Tune callback (run in this driver process) noting where each trial ran."""
    from ray.tune import Callback

    class TrialRecorder(Callback):
        def __init__(self) -> None:
            self.where: dict[str, dict[str, Any]] = {}
            self.best_loss: float | None = None
            self.best_learner: str | None = None

        def on_trial_result(self, iteration, trials, trial, result, **info) -> None:
            self.where[trial.trial_id] = {"pid": result.get("pid"), "node_ip": result.get("node_ip"),
                                          "hostname": result.get("hostname")}
            loss, config = result.get("val_loss"), result.get("config") or {}
            if isinstance(loss, (int, float)) and (self.best_loss is None or loss < self.best_loss):
                self.best_loss, self.best_learner = float(loss), config.get("ml", config).get("learner")
            on_trial(len(self.where), self.best_loss, self.best_learner)

        def summary(self) -> list[dict[str, Any]]:
            processes: dict[tuple, int] = {}
            for w in self.where.values():
                key = (w["pid"], w["node_ip"], w["hostname"])
                processes[key] = processes.get(key, 0) + 1
            return [{"pid": k[0], "node_ip": k[1], "hostname": k[2], "trials": n} for k, n in sorted(processes.items(), key=str)]

    return TrialRecorder()


def _connect_ray(address: str) -> bool:
    """Join the cluster at ``address`` ("local": start one here). True if this call connected."""
    import ray

    if ray.is_initialized():
        return False
    if address == "local":
        ray.init(address="local", include_dashboard=False, log_to_driver=False)
    else:
        ray.init(address=address, log_to_driver=False)
    return True


def _flaml_task(task: str) -> str:
    return "regression" if task == "regression" else "classification"


def run_search(
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_val: pd.DataFrame | None,
    y_val: np.ndarray | None,
    *,
    task: str,
    metric: str,
    time_budget: float,
    seed: int,
    n_jobs: int,
    log_path: Path,
    learners: tuple[str, ...] | None = None,
    splitter: Any = None,
    on_trial: Callable[[int, float | None, str | None], None] = lambda *_: None,
    ray_address: str | None = None,
    concurrent_trials: int = 1,
    max_iter: int | None = None,
    starting_points: dict[str, dict[str, Any]] | None = None,
    stop_if: Callable[[float, float], bool] | None = None,
    keep_models: bool = False,
) -> SearchResult:
    """Search for the best (learner, config); ``time_budget`` in seconds.

    With ``max_iter`` the search is trial-bounded: at most that many trials,
    the learners taken in turn (FLAML's "roundrobin": its default choice weighs
    measured trial times, so a busy machine would change which trials run), and
    the time budget is only a safety cap.  Same data and seed, same trials.

    ``stop_if``: see :class:`_ProgressHandler` (the trainer ends a search whose best model could no longer be
    refit inside the job's promise); not used with Ray.

    ``keep_models``: keep each learner's best fitted model (FLAML's ``model_history``; FLAML drops every model
    but the overall best otherwise), for the validation-rows ensemble of large tables (validation_blend.py).
    Memory: one model per learner, as FLAML replaces a learner's model when it finds a better one.
    """
    from flaml import AutoML

    if wrap_up_requested():
        raise WrapUp()
    parallel: dict[str, Any] = {}
    recorder, connected = None, False
    if ray_address:
        connected = _connect_ray(ray_address)
        recorder = _ray_recorder(on_trial)
        # CFO, not FLAML's default BlendSearch, in parallel: BlendSearch's global
        # search needs optuna, which is not a dependency.
        parallel = {"use_ray": {"callbacks": [recorder], "storage_path": str(log_path.parent / "ray")},
                    "n_concurrent_trials": max(1, concurrent_trials), "hpo_method": "cfo"}

    flaml_logger = logging.getLogger("flaml.automl.logger")
    automl = AutoML()
    handler = _ProgressHandler(on_trial, None if ray_address else stop_if, automl, len(X_train),
                               partners=keep_models and not ray_address)
    # FLAML prints every log line to stdout by itself; the worker log wants our
    # progress, not hundreds of trial lines, so its console handlers rest meanwhile.
    resting = [h for h in flaml_logger.handlers if isinstance(h, logging.StreamHandler)]
    for h in resting:
        flaml_logger.removeHandler(h)
    flaml_logger.addHandler(handler)
    from .flaml_learners import LEARNER_CLASSES

    for name, cls in LEARNER_CLASSES.items():
        automl.add_learner(name, cls)
    started = time.monotonic()
    # Either judged on the given validation rows, or cross-validated on the
    # given folds (so the caller can score other models on the very same folds).
    evaluation: dict[str, Any] = (
        {"eval_method": "cv", "split_type": splitter} if splitter is not None else {"X_val": X_val, "y_val": y_val}
    )
    bounded: dict[str, Any] = {} if max_iter is None else {"max_iter": int(max_iter), "learner_selector": "roundrobin"}
    # The portfolio's zero-shot configurations (training/portfolio.py): the search refines from them.
    starts = {k: v for k, v in (starting_points or {}).items() if k in (learners or default_learners(task))}
    if starts:
        bounded["starting_points"] = starts
    stopped_early, ray_info = False, None
    try:
        automl.fit(
            X_train,
            y_train,
            **evaluation,
            task=_flaml_task(task),
            metric=metric,
            time_budget=time_budget,
            estimator_list=list(learners or default_learners(task)),
            seed=seed,
            n_jobs=n_jobs,
            log_file_name=str(log_path),
            log_type="all",
            model_history=keep_models and not ray_address,
            retrain_full=False,
            verbose=3,
            # Our preprocessing already pinned categories and filled missing values.
            skip_transform=False,
            early_stop=True,
            **bounded,
            **parallel,
        )
        if recorder is not None:
            import ray

            ray_info = {"address": ray_address, "concurrent_trials": parallel["n_concurrent_trials"],
                        "cluster_cpus": ray.cluster_resources().get("CPU"), "driver_pid": os.getpid(),
                        "trial_processes": recorder.summary()}
    except WrapUp:
        stopped_early = True
    finally:
        flaml_logger.removeHandler(handler)
        for h in resting:
            flaml_logger.addHandler(h)
        if connected:
            import ray

            ray.shutdown()
    if automl.best_estimator is None and ray_address:
        raise TrainingConfigError(
            f"No trial finished on the Ray cluster at {ray_address} within the {time_budget:.0f} s search budget "
            "(its worker processes take several seconds to start). Use a larger budget, or train without Ray."
        )
    trials = _read_trials(log_path)
    if stopped_early:
        if not trials:
            raise WrapUp()  # nothing found yet: the caller delivers the model it already has
        best = min(trials, key=lambda t: t["validation_loss"])
        return SearchResult(best_learner=best["learner"], best_config=dict(best["config"]), best_loss=best["validation_loss"],
                            trials=trials, wall_seconds=time.monotonic() - started, model=None, stopped_early=True)
    best_config = dict(automl.best_config or {})
    if splitter is None:  # judged as FLAML fitted it on the training rows: record it so
        best_config = record_as_fitted(automl.best_estimator, automl.model, best_config, trials)
    return SearchResult(
        best_learner=automl.best_estimator,
        best_config=best_config,
        best_loss=float(automl.best_loss),
        trials=trials,
        wall_seconds=time.monotonic() - started,
        model=automl,
        ray=ray_info,
        ended_for_refits=handler.stopped_for_time,
    )


def kept_models(result: SearchResult, train_rows: int) -> list[tuple[str, dict[str, Any], Any, float]]:
    """(learner, config, fitted model, fit seconds) of each learner's best model that FLAML kept (``keep_models``)
    fitted on every training row; the config holds the trees the model really has (:func:`trained_config`).

    A model FLAML fitted on a sample of the rows (its early, cheap trials on large tables) is left out: it is a
    weaker model than the one a refit of its record makes.
    """
    return _kept(result.model, train_rows)


def _kept(automl: Any, train_rows: int) -> list[tuple[str, dict[str, Any], Any, float]]:
    from flaml.automl.state import AutoMLState

    out = []
    for learner, state in (getattr(automl, "_search_states", None) or {}).items():
        if not _kept_on_every_row(state, train_rows):
            continue
        est = state.trained_estimator
        seconds = float(getattr(state, "best_config_train_time", None) or getattr(state, "time2eval_best", None) or 0.0)
        out.append((learner, trained_config(learner, est, dict(AutoMLState.sanitize(state.best_config) or {})), est, seconds))
    return out


def record_as_fitted(learner: str, estimator: Any, config: dict[str, Any], trials: list[dict[str, Any]]) -> dict[str, Any]:
    """The winner of a search judged on validation rows, recorded as FLAML fitted it: ``config`` with the trees the
    model really has (:func:`trained_config`), and the same correction on its trial's row in ``trials`` (so the
    leaderboard still marks it). Returns the corrected config; refitting it is the model that was judged."""
    fixed = trained_config(learner, estimator, dict(config))
    if fixed != config:
        for t in trials:
            if t["learner"] == learner and t["config"] == config:
                t["config"] = {**t["config"], "n_estimators": fixed["n_estimators"]}
    return fixed


def trained_config(learner: str, estimator: Any, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the number of trees the fitted model really has.

    A search trial that reaches its time budget stops adding trees, but FLAML records the configuration it was
    asked for (LightGBM asked for 3,000 trees and stopped at 344 keeps ``n_estimators=3000``). Refitting that
    record without a budget grows every tree: a different model from the one the weights were chosen for, and
    several times the fit time the trial measured (adult: an ensemble's all-rows refit took 34 s where 11 s
    were planned, and the build ended 23 s past its promise). So a member is recorded as it was fitted.
    """
    model = getattr(estimator, "_model", None)
    asked = config.get("n_estimators")
    if model is None or not isinstance(asked, (int, np.integer)):
        return config
    try:
        if learner == "lgbm":
            grown = model.booster_.current_iteration()
        elif learner in ("xgboost", "xgb_limitdepth"):
            grown = min(model.get_booster().num_boosted_rounds(), int(model.get_params().get("n_estimators") or asked))
        elif learner == "catboost":
            grown = model.tree_count_
        else:
            return config
    except Exception:  # noqa: BLE001 - an unfamiliar model keeps its record as it is
        return config
    return {**config, "n_estimators": int(grown)} if 0 < int(grown) < int(asked) else config


def _read_trials(log_path: Path) -> list[dict[str, Any]]:
    trials: list[dict[str, Any]] = []
    if not log_path.exists():
        return trials
    for line in log_path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "learner" not in rec or "validation_loss" not in rec:
            continue
        trials.append(
            {
                "trial": int(rec.get("record_id", len(trials))),
                "learner": rec["learner"],
                "config": rec.get("config") or {},
                "validation_loss": float(rec["validation_loss"]),
                "train_seconds": float(rec.get("trial_time") or 0.0),
                "wall_clock_seconds": float(rec.get("wall_clock_time") or 0.0),
                "sample_size": int(rec.get("sample_size") or 0),
            }
        )
    return trials


def build_learner(task: str, learner: str, config: dict[str, Any], *, seed: int, n_jobs: int):
    """A fresh, unfitted FLAML estimator for ``learner`` with exactly ``config``.

    The seed is pinned on the underlying library model so a refit of the same
    recipe on the same rows gives the same model.
    """
    from flaml.automl.task.factory import task_factory

    from .flaml_learners import LEARNER_CLASSES

    cls = LEARNER_CLASSES.get(learner) or task_factory(task).estimator_class_from_str(learner)
    params = {k: v for k, v in config.items() if k != "FLAML_sample_size"}
    est = cls(task=task, n_jobs=n_jobs, **params)
    model_cls = getattr(est, "estimator_class", None)
    if model_cls is not None:
        accepted = inspect.signature(model_cls.__init__).parameters
        if "random_seed" in est.params and "random_seed" not in params:
            est.params["random_seed"] = seed  # CatBoost: FLAML sets a fixed seed of its own
        elif "random_state" in accepted and "random_state" not in est.params:
            est.params["random_state"] = seed
        elif "random_seed" in accepted and "random_seed" not in est.params:
            est.params["random_seed"] = seed
    return est
