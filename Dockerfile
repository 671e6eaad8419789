# syntax=docker/dockerfile:1
# AutoML Canvas: one image for every role (combined `up`, extra workers, Ray nodes).
#   docker build -t automl-canvas .                                  # PostgreSQL driver included
#   docker build -t automl-canvas:ray --build-arg EXTRAS=postgres,ray .  # + Ray, for clusters
#   docker run -v canvas:/data automl-canvas                         # SQLite in the volume, 1 worker
# Dependencies come from the pinned, hash-checked lock (requirements/runtime.txt, or requirements/ray.txt
# when EXTRAS names ray), the versions CI tests; scripts/lock.sh makes them from pyproject.toml.
# See docs/deployment.md and docker-compose.yml.

# ---- build: install the locked dependencies, then the package, into a virtualenv ----
FROM python:3.11-slim AS build
# postgres and s3 are always in (the runtime lock holds the PostgreSQL driver and the S3 client); ray adds Ray.
ARG EXTRAS=postgres
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/canvas
WORKDIR /src
# The lock first: this layer is rebuilt only when requirements/ changes, not with every code change.
COPY requirements ./requirements
RUN set -eu; lock=runtime; IFS=','; \
    for extra in ${EXTRAS}; do \
      case "$extra" in \
        postgres|s3) ;; \
        ray) lock=ray ;; \
        *) echo "EXTRAS: unknown extra '$extra' (choose from postgres, s3, ray)" >&2; exit 1 ;; \
      esac; \
    done; \
    unset IFS; \
    /opt/canvas/bin/pip install --require-hashes -r "requirements/${lock}.txt"
COPY pyproject.toml README.md ./
COPY automl_canvas ./automl_canvas
COPY apps ./apps
# The package alone (every dependency came from the lock); pip check fails the build if the lock lacks one.
RUN /opt/canvas/bin/pip install --no-deps . \
    && /opt/canvas/bin/pip check

# ---- runtime: the virtualenv, the OpenMP runtime LightGBM needs, a non-root user ----
FROM python:3.11-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group canvas \
    && mkdir -p /data \
    && chown canvas /data
COPY --from=build /opt/canvas /opt/canvas
ENV PATH=/opt/canvas/bin:$PATH \
    AUTOML_CANVAS_HOME=/data \
    AUTOML_CANVAS_API_HOST=0.0.0.0 \
    AUTOML_CANVAS_APPS_HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001
WORKDIR /data
VOLUME ["/data"]
# Healthy = the database answers, its schema is current and /data is writable.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["automl-canvas", "health"]
# SIGTERM (docker stop) makes every worker hand its running job back to the queue.
STOPSIGNAL SIGTERM
# The approval API, the analyst app and the scientist dashboard.
EXPOSE 8000 8501 8502
CMD ["automl-canvas", "up"]
