# AutoML Canvas: the core, its CLI and workers (later: the API and both apps).
# Build: docker build -t automl-canvas .   Run: docker run -v canvas:/data automl-canvas
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY automl_canvas ./automl_canvas
RUN pip install --no-cache-dir --prefix=/install ".[postgres]"

FROM python:3.11-slim
# LightGBM needs the OpenMP runtime.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 canvas
COPY --from=build /install /usr/local
ENV AUTOML_CANVAS_HOME=/data \
    PYTHONUNBUFFERED=1
RUN mkdir -p /data && chown canvas /data
VOLUME ["/data"]
USER canvas
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s \
    CMD ["automl-canvas", "health"]
CMD ["automl-canvas", "up"]
