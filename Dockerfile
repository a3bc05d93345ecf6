# syntax=docker/dockerfile:1
# The Debug Sessions image: one image for both processes.
#
#   docker build -t registry.example.com/debug-sessions:0.1.0 --build-arg VERSION=0.1.0 .
#   API (the default):  docker run ... registry.example.com/debug-sessions:0.1.0
#   worker:             docker run ... registry.example.com/debug-sessions:0.1.0 python -m worker
#
# worker.py is installed as a top-level module (pyproject's py-modules), so `python -m worker` runs it from
# the installed venv; there is no source tree in the image. Kubernetes: deploy/kubernetes/ sets `args`.
#
# Rules (checked by tests/deploy/test_image.py): two stages from the same pinned base, the builder installs
# the project alone (its runtime dependencies are pinned exactly in pyproject.toml, no dev extras), the final
# stage gets the venv and nothing else, runs as a numeric non-root user and writes nowhere but /tmp.

# Both stages use this base: the venv's interpreter is a symlink to the base's /usr/local/bin/python3.11.
# Pinned by tag; pin by digest too (python:3.11.13-slim-bookworm@sha256:...) where builds must be reproducible.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src
# What `pip install .` needs and nothing else (pyproject: packages.find include + py-modules; README is the
# project's readme). Every dependency has wheels for cp311 on amd64 and arm64: no compiler is needed.
COPY pyproject.toml README.md worker.py ./
COPY domain/ domain/
COPY templating/ templating/
COPY rendering/ rendering/
COPY workflows/ workflows/
COPY activities/ activities/
COPY kube/ kube/
COPY api/ api/
COPY kubesim/ kubesim/
COPY cli/ cli/
COPY notifications/ notifications/
COPY audit/ audit/
COPY temporal_access/ temporal_access/
# Not editable (the venv must not point back at /src). pip compiles the bytecode here, as it installs: the
# final stage's filesystem is read-only, and PYTHONDONTWRITEBYTECODE keeps Python from trying there.
RUN pip install --no-cache-dir . \
    && pip check

FROM ${PYTHON_IMAGE}
ARG PYTHON_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="debug-sessions" \
      org.opencontainers.image.description="Temporary, controlled, audited access to debug pods on Kubernetes clusters (API and Temporal worker)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"
# HOME=/tmp: the only writable path (an emptyDir on Kubernetes) for anything that wants a home directory.
# The API listens on every address in a container; on a non-loopback address it refuses to start without
# DEBUG_SESSION_WEBHOOK_TOKEN (see README, Settings). The catalog directory is where a volume is mounted.
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    DEBUG_SESSION_API_HOST=0.0.0.0 \
    DEBUG_SESSION_CATALOG_DIR=/etc/debug-sessions/catalog
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
USER 65532:65532
# 8080: the API (DEBUG_SESSION_API_PORT: UI, JSON API, authorization webhook, /metrics, /healthz, /readyz).
# 9464: the worker's /metrics (DEBUG_SESSION_WORKER_METRICS_PORT).
EXPOSE 8080 9464
# Python runs as PID 1, which ignores every signal it has no handler for: the worker has none for SIGTERM,
# so a pod deletion would wait for the kill at the end of the grace period. SIGINT has a handler in both:
# uvicorn shuts down gracefully, and the worker's asyncio.run cancels main(), which stops the Temporal worker
# and closes its clients (in half a second). containerd and CRI-O send the image's stop signal.
STOPSIGNAL SIGINT
# No HEALTHCHECK: Kubernetes uses the probes of deploy/kubernetes (/healthz, /readyz), and one image-level
# check could not fit both processes.
CMD ["python", "-m", "api"]
