"""One settings object for the whole product.

Read from the environment (prefix ``AUTOML_CANVAS_``; ``DATABASE_URL`` is also
accepted unprefixed because every platform tool sets it that way).  Nothing is
created on import: :func:`get_settings` builds the object, and
:meth:`Settings.ensure_dirs` is called by the commands that need the folders.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, computed_field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["BUDGET_PRESETS", "Settings", "get_settings"]

#: Named time budgets (seconds of search) an analyst can pick instead of a number.
BUDGET_PRESETS: dict[str, int] = {"quick": 60, "standard": 300}


def _default_home() -> Path:
    return Path(os.environ.get("AUTOML_CANVAS_HOME", Path.cwd() / ".canvas-home"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOML_CANVAS_", extra="ignore", populate_by_name=True)

    home: Path = Field(default_factory=_default_home, description="Data directory (database, artifacts).")
    database_url_override: str | None = Field(
        default=None,
        validation_alias=AliasChoices("AUTOML_CANVAS_DATABASE_URL", "DATABASE_URL", "database_url"),
        description="SQLAlchemy URL; defaults to a SQLite file in the home directory.",
    )
    artifact_dir_override: Path | None = Field(
        default=None, validation_alias=AliasChoices("AUTOML_CANVAS_ARTIFACT_DIR", "artifact_dir")
    )

    # Database pool (PostgreSQL): small by default, one pool per process.
    db_pool_size: int = 5
    db_max_overflow: int = 5

    # Uploads
    max_upload_bytes: int = 200 * 1024 * 1024
    max_columns: int = 2_000
    max_classes: int = 100

    # Workers and jobs
    workers: int = 1
    job_lease_seconds: int = 30
    job_heartbeat_seconds: float = 2.0
    job_poll_seconds: float = 0.2
    job_max_attempts: int = 3
    #: Hard wall-clock limit = budget * factor + grace (FLAML overruns its budget).
    job_time_limit_factor: float = 1.5
    job_time_limit_grace_seconds: int = 120
    #: Jobs with no time budget (ingest, predict, reproduce) get this limit.
    job_default_time_limit_seconds: int = 1800
    #: At the hard limit a job is first asked to wrap up (a training job ends with the best model it has);
    #: it is killed only if it is still running this many seconds later.
    job_wrap_up_grace_seconds: float = 60.0
    #: Each long-running worker keeps one job process started and imported before the claim (runner/warm.py);
    #: false: a job's process starts after its claim. Either way a process runs one job.
    job_warm_children: bool = True

    # Backpressure and quotas (jobs/quotas.py), checked when a user submits a job.
    #: Queued + running jobs one user may have at once (0: no limit).
    max_concurrent_jobs_per_user: int = 10
    #: Largest search budget one job may ask for, in seconds (0: no limit).
    max_budget_seconds: int = 3600

    # Ray (training/search.py): with an address, FLAML runs its trials on that Ray
    # cluster, several at once. "auto" joins the cluster this machine belongs to.
    ray_address: str | None = None
    #: Trials FLAML runs at once on the Ray cluster.
    ray_concurrent_trials: int = 2

    # Training
    n_jobs: int = Field(default=-1, description="Cores FLAML and the final model may use (-1: all).")
    holdout_fraction: float = 0.2
    validation_fraction: float = 0.2
    cv_max_rows: int = 20_000
    cv_folds: int = 5
    #: After the holdout evaluation, refit the chosen recipe on every labelled row.
    refit_full: bool = True
    #: Fit strong defaults (FLAML zero-shot configurations, CatBoost, a linear model) before the search
    #: and start the search from them (training/portfolio.py).
    portfolio: bool = True
    #: Offer a weighted ensemble: on tables up to ``cv_max_rows`` train+validation rows, chosen on fresh folds
    #: (training/selection.py); on larger ones, on the validation rows, cross-fitted (training/validation_blend.py).
    ensemble: bool = True
    default_seed: int = 20_261_122

    # Evidence (explanations, fairness, performance detail)
    #: Queue the evidence job for every new version as soon as it is recorded.
    evidence_after_training: bool = True
    shap_max_rows: int = 2000
    fairness_min_group_size: int = 30
    fairness_bootstrap: int = 200

    # Accounts and sign-in (auth/throttle.py, docs/governance.md "Sign-in throttling")
    #: Failed sign-ins one client may make for one username within ``login_lock_seconds`` before that pair
    #: (client address + username, never the account alone) is refused for the rest of the window.
    login_max_failures: int = Field(default=5, ge=1)
    login_lock_seconds: int = Field(default=300, ge=1)
    #: Failed sign-ins one client may make for all usernames together in the same window (password spraying).
    login_client_max_failures: int = Field(default=50, ge=1)
    #: Bad API tokens (unknown, malformed, revoked, expired) one client may send per minute before it is
    #: answered 429 for the rest of the minute, whatever token it sends.
    bad_token_max_per_minute: int = Field(default=30, ge=1)
    password_min_length: int = 10
    token_default_days: int = 90
    token_max_days: int = 365
    #: Password for the admin that ``init`` creates (unset: a random one is printed once).
    admin_password: str | None = Field(default=None, repr=False)
    #: Password for the demo users of ``up --demo`` (unset: random ones are printed once).
    demo_password: str | None = Field(default=None, repr=False)
    # Browser sessions (auth/browser_sessions.py, docs/governance.md "Signing in to the apps"): the apps' sign-in
    # cookie, set by the API, shared by the user's tabs and both apps on one host, surviving a reload.
    #: Hours a browser session lasts from sign-in (not extended by use); signing out ends it at once.
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    #: The API as browsers reach it, e.g. "https://canvas.example.com:8443" behind a proxy (unset: the host the
    #: browser used for the app, at ``api_port``). Without a reachable API the apps sign in per browser tab.
    browser_api_url: str | None = None
    #: App origins (scheme://host[:port]) the API may send a browser back to after setting or clearing the cookie,
    #: besides the API's own host at ``analyst_port`` / ``scientist_port`` (e.g. "https://canvas.example.com").
    session_return_origins: list[str] = Field(default_factory=list)
    # Feasibility ("is ML the right hammer?"): see docs/feasibility.md
    #: Search budget of the quick AutoML run inside a feasibility job (a preset or seconds).
    feasibility_budget: str = "quick"
    #: Larger tables are assessed on a seeded random sample of this many rows.
    feasibility_max_rows: int = 200_000
    #: Bootstrap resamples of the holdout for the lift's confidence interval.
    feasibility_bootstrap: int = 500
    #: Overrides of the component weights, e.g. '{"impact": 0.3}' (names in docs/feasibility.md).
    feasibility_weights: dict[str, float] = Field(default_factory=dict)
    #: Overrides of the verdict thresholds, e.g. '{"go_score": 70}'.
    feasibility_thresholds: dict[str, float] = Field(default_factory=dict)

    # Approval API and apps (`automl-canvas up` / `automl-canvas api`)
    #: Interface the Streamlit apps listen on (0.0.0.0 in a container).
    apps_host: str = "127.0.0.1"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    analyst_port: int = 8501
    scientist_port: int = 8502
    #: Records one JSON predict request may carry (bigger sets go through the batch upload).
    predict_max_rows: int = 10_000
    #: Rows of one JSON predict request that may ask for SHAP contributions.
    predict_max_explained_rows: int = 50
    #: API processes for `automl-canvas api` (0: one per CPU core); each has its own caches and log writer.
    api_workers: int = 0
    #: Requests one API process handles at once; more are answered 503 with Retry-After at once, not queued.
    api_max_in_flight: int = Field(default=64, ge=1)
    #: Milliseconds a process's event loop may run behind before new requests are answered 503 at once (0: off).
    #: The one-record hot path scores on the loop without awaiting, so overload shows as loop lag, not as
    #: requests in flight; shedding when behind keeps the answers that are given fast.
    api_max_loop_lag_ms: float = Field(default=40.0, ge=0)
    #: Seconds a caller is told to wait (Retry-After) when a process is at its in-flight limit.
    api_retry_after_seconds: int = Field(default=1, ge=1)
    #: Seconds a process trusts its cached token and version status: a revoke reaches every process within this.
    serving_cache_seconds: float = Field(default=0.5, ge=0, le=1.0)

    # Webhooks (delivered by the worker, never inside a request)
    webhook_poll_seconds: float = 1.0
    webhook_timeout_seconds: float = 5.0
    webhook_max_attempts: int = 8
    #: First retry after this many seconds, doubling each attempt (capped at webhook_backoff_max_seconds).
    webhook_backoff_seconds: float = 2.0
    webhook_backoff_max_seconds: float = 600.0

    # Monitoring (see docs/monitoring.md)
    #: Fraction of served records whose inputs are kept in the prediction log (outputs are always kept).
    monitoring_input_sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    #: The API writes its prediction log in batches this often (a request never waits for the database).
    monitoring_log_flush_seconds: float = 0.5
    #: Records waiting to be written at most; beyond it new ones are dropped (and counted), never blocking a request.
    monitoring_log_buffer_rows: int = 50_000
    #: Logged predictions older than this are deleted by the monitoring job.
    monitoring_retention_days: float = 90.0
    #: At most this many logged predictions are kept per version (the oldest go first).
    monitoring_max_rows_per_version: int = 1_000_000
    #: How often the worker checks each deployed version (0: only on demand).
    monitoring_interval_seconds: float = 3600.0
    #: A check looks at the predictions logged in this many days before it.
    monitoring_window_days: float = 7.0
    #: A check reads at most this many of the newest logged predictions in its window.
    monitoring_check_max_rows: int = 200_000
    #: Rows of the training data sampled as the reference distribution.
    monitoring_reference_rows: int = 20_000
    #: Drift needs this many logged inputs, live quality this many true outcomes, before they are judged.
    monitoring_min_rows: int = 100
    monitoring_min_labelled_rows: int = 30
    #: A feature (or the predictions) drifted when PSI >= this and the distribution test's p-value < the next one.
    monitoring_psi_threshold: float = 0.2
    monitoring_p_value: float = 0.01
    #: The live metric is flagged when it is worse than the holdout metric by more than this fraction of it.
    monitoring_quality_drop: float = 0.10
    #: Feedback rows accepted in one request or file.
    feedback_max_rows: int = 100_000

    # Security hardening (issue 17): exclusive review claims, webhook targets, request bodies.
    #: A claim on a version in review is exclusive; after this many minutes another scientist may take it over.
    review_claim_expiry_minutes: float = Field(default=240.0, gt=0)
    #: Networks (CIDR, e.g. "10.20.0.0/16" or "127.0.0.0/8") webhooks may reach although they are loopback,
    #: private, link-local...; empty: only public addresses. Set by an administrator, never through the API.
    webhook_allowed_networks: list[str] = Field(default_factory=list)
    #: Largest JSON request body the API reads (bytes); bigger ones are answered 413 before they are buffered.
    #: File uploads have their own limit (max_upload_bytes).
    max_json_body_bytes: int = Field(default=8 * 1024 * 1024, gt=0)

    # Audit log anchoring (issue 17, audit/keys.py, audit/checkpoints.py, docs/governance.md)
    #: Secret the audit chain is keyed with (HMAC-SHA256). Unset: a key is generated into <home>/audit.key
    #: (mode 0600) on first use. Keep it outside the database; whoever has it can re-chain the log.
    audit_key: SecretStr | None = Field(default=None, repr=False)
    #: Id recorded with every event keyed by ``audit_key``; change it together with the key to rotate.
    audit_key_id: str = Field(default="1", min_length=1, max_length=32)
    #: Earlier keys by id, still used to verify the events they keyed, e.g. '{"1": "old secret"}'.
    audit_old_keys: dict[str, SecretStr] = Field(default_factory=dict, repr=False)
    #: Folder signed head checkpoints are written to, one new file per event (default <home>/audit-checkpoints).
    audit_checkpoint_dir_override: Path | None = Field(
        default=None, validation_alias=AliasChoices("AUTOML_CANVAS_AUDIT_CHECKPOINT_DIR", "audit_checkpoint_dir_override"))

    # Fairness verdicts (issue 15, see docs/evidence.md)
    #: A mitigated candidate that loses more than this much of the primary metric (in its own units: 0.02 of
    #: AUC; for log loss a rise of 0.02) is "worse — not recommended" and fails the approval policy check.
    mitigation_max_metric_loss: float = Field(default=0.02, ge=0)
    #: Binary fairness gate: each compared group's selection rate must lie in [floor, 1 - floor] and its
    #: true-positive rate be at least the TPR floor, or a small parity gap only means the model barely decides.
    fairness_min_selection_rate: float = Field(default=0.01, ge=0, lt=0.5)
    fairness_min_tpr: float = Field(default=0.10, ge=0, le=1)

    # Object store (issue 21, see docs/deployment.md): datasets, model artifacts, evidence files.
    #: Unset: the artifact directory. "s3://bucket/prefix": an S3-compatible server (endpoint and credentials
    #: are boto3's own settings: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles, roles).
    store_url: str | None = None
    #: Local copies of objects read from an s3:// store (default: <home>/store-cache), kept within the next bound.
    store_cache_dir_override: Path | None = Field(
        default=None, validation_alias=AliasChoices("AUTOML_CANVAS_STORE_CACHE_DIR", "store_cache_dir_override"))
    store_cache_max_bytes: int = Field(default=2 * 1024**3, ge=0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def database_url(self) -> str:
        if self.database_url_override:
            return self.database_url_override
        return f"sqlite:///{(self.home / 'canvas.db').resolve()}"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def artifact_dir(self) -> Path:
        return self.artifact_dir_override or (self.home / "artifacts")

    @property
    def store_cache_dir(self) -> Path:
        return self.store_cache_dir_override or (self.home / "store-cache")

    @property
    def audit_checkpoint_dir(self) -> Path:
        return self.audit_checkpoint_dir_override or (self.home / "audit-checkpoints")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ensure_dirs(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        for sub in ("datasets", "models", "uploads", "tmp"):
            (self.artifact_dir / sub).mkdir(parents=True, exist_ok=True)

    def time_limit_for(self, budget_seconds: float | None) -> float:
        if not budget_seconds:
            return float(self.job_default_time_limit_seconds)
        return budget_seconds * self.job_time_limit_factor + self.job_time_limit_grace_seconds


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
