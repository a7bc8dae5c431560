# The action server: rasa-sdk with our actions, answering Rasa only (X-Action-Token; bot/rasa_ext/action_server.py).
# Without Rasa itself: rasa-sdk and what the actions import, at the Rasa environment's versions (docs/deploy.md).
#   docker build -f deploy/docker/actions.Dockerfile -t <registry>/canon-assistant/actions:<version> .
# The base image is pinned by its exact tag, the Python of `make`'s Rasa environment (docs/deploy.md: digests).

FROM python:3.10.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements/actions-runtime.in requirements/rasa.lock /tmp/requirements/
RUN pip install -r /tmp/requirements/actions-runtime.in -c /tmp/requirements/rasa.lock

FROM python:3.10.13-slim-bookworm
RUN groupadd --system --gid 10001 actions \
    && useradd --system --uid 10001 --gid actions --no-create-home --home-dir /app --shell /usr/sbin/nologin actions
# In a container the server listens on every interface (the launcher's default is 127.0.0.1)
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    ASSISTANT_BIND_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY bot/ bot/
COPY actions/ actions/
USER 10001:10001
EXPOSE 5055
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5055/health', timeout=4)"]
# Refuses to start without ACTION_SERVER_TOKEN
CMD ["python", "-m", "bot.rasa_ext.action_server", "--actions", "actions", "--port", "5055"]
