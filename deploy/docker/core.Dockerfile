# The core service: the account API, the support page with its chat widget, human handoff and the agent console
# (bot/core). Its database schema is migrated by the same image: `alembic upgrade head` (docs/deploy.md).
#   docker build -f deploy/docker/core.Dockerfile -t <registry>/canon-assistant/core:<version> .
# Base images are pinned by exact tags: the Node.js and the Python `make` uses (docs/deploy.md: digests).

# The widget's socket.io client from the npm registry, at web/package-lock.json's version (as `make` does)
FROM node:20.20.2-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11.7-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The versions `make test` tested: the core environment's lock as constraints (wheels only)
COPY requirements/core-runtime.in requirements/core.lock /tmp/requirements/
RUN pip install --only-binary=:all: -r /tmp/requirements/core-runtime.in -c /tmp/requirements/core.lock

FROM python:3.11.7-slim-bookworm
RUN groupadd --system --gid 10001 core \
    && useradd --system --uid 10001 --gid core --no-create-home --home-dir /app --shell /usr/sbin/nologin core
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY bot/ bot/
COPY migrations/ migrations/
COPY alembic.ini ./
COPY --from=web /web/node_modules/socket.io-client/dist/socket.io.min.js build/static/socket.io.min.js
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
# One process per container (scale with containers); forwarded headers are read by the core itself, from the
# proxies in CORE_TRUSTED_PROXIES only (bot/core/proxies.py), as under the launcher
CMD ["uvicorn", "bot.core.main:app", "--host", "0.0.0.0", "--port", "8000", "--log-level", "warning", \
     "--timeout-graceful-shutdown", "5", "--no-proxy-headers"]
