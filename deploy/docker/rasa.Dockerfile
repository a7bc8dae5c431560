# The Rasa server: Rasa 3.6 with our components, channels, stores and broker (bot/), the actions Rasa runs itself
# when the action server is down (actions/, bot/rasa_ext/degraded.py), the production endpoints and credentials,
# and the trained model baked in (docs/deploy.md). Build from the repository root after `make test` (or
# `make train`), so that the model in the image is the one the tests ran against:
#   docker build -f deploy/docker/rasa.Dockerfile -t <registry>/canon-assistant/rasa:<version> .
# The base image is pinned by its exact tag, the Python of `make`'s Rasa environment (pin its digest too once your
# registry is reachable: docs/deploy.md).

FROM python:3.10.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The versions `make test` tested: the Rasa environment's lock as constraints (no compiler needed: every package
# is a wheel, or pure Python)
COPY requirements/rasa-runtime.in requirements/rasa.lock requirements/
RUN pip install -r requirements/rasa-runtime.in -c requirements/rasa.lock
# The blank Lithuanian spaCy pipeline the model's SpacyNLP loads from build/spacy-lt (config.yml), built by the
# code `make` builds it with
COPY bot/__init__.py bot/text.py bot/
COPY bot/rasa_ext/__init__.py bot/rasa_ext/spacy_model.py bot/rasa_ext/
RUN python -m bot.rasa_ext.spacy_model build/spacy-lt

FROM python:3.10.13-slim-bookworm
RUN groupadd --system --gid 10001 rasa \
    && useradd --system --uid 10001 --gid rasa --create-home --home-dir /home/rasa --shell /usr/sbin/nologin rasa
# One Sanic worker per container: scale with containers (the Redis lock store keeps each conversation's messages
# in order across all of them). Websocket frames up to the 2 MB of HTTP bodies (docs/channels.md).
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    MPLCONFIGDIR=/tmp/matplotlib SANIC_WORKERS=1 SANIC_WEBSOCKET_MAX_SIZE=2097152
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/build/spacy-lt build/spacy-lt
COPY bot/ bot/
COPY actions/ actions/
COPY deploy/endpoints.production.yml deploy/credentials.production.yml deploy/
COPY models/assistant.tar.gz models/assistant.tar.gz
USER 10001:10001
EXPOSE 5005
# The model loads in 20-40 s
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5005/', timeout=4)"]
# Rasa's CLI with RASA_TOKEN as --auth-token and --jwt-secret taken inside the process (bot/rasa_ext/rasa_cli.py):
# no secret on a command line
ENTRYPOINT ["python", "-m", "bot.rasa_ext.rasa_cli"]
CMD ["run", "--model", "models/assistant.tar.gz", "--enable-api", "--interface", "0.0.0.0", "--port", "5005", \
     "--endpoints", "deploy/endpoints.production.yml", "--credentials", "deploy/credentials.production.yml"]
