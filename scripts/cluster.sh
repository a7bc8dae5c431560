#!/usr/bin/env bash
# `make cluster`: the assistant as a small cluster on this one machine (docs/deploy.md, "A local cluster"). Each
# node runs on a loopback address of its own (CLUSTER_ADDRESSES, default 127.0.0.2 127.0.0.3) one Rasa process,
# one action server and one core process; HAProxy on 127.0.0.1 balances them:
#   RASA_PORT (5005, public)           -> the Rasa nodes (socket.io sessions stick to theirs by the engine.io sid)
#   CORE_PORT (8000, public)           -> the core nodes (support page, agent console, API)
#   ACTION_PORT (5055, internal)       -> the action servers (the Rasa nodes' action endpoint)
#   CORE_INTERNAL_PORT (8001, internal) -> the core nodes (the action servers' CORE_URL)
# They share PostgreSQL (conversations: Rasa's SQL tracker store in TRACKER_DB_NAME; the core: CORE_DATABASE_URL),
# Redis (locks, socket.io rooms, the console's sign-in throttle) and RabbitMQ (Rasa's events, read by the core).
# The set-up is scripts/run.sh's (`source scripts/run.sh --setup`); the servers run under bot/launcher/supervisor.py,
# which restarts one that crashes; one TERM or Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
trap 'exit 130' INT
trap 'exit 143' TERM

read -r -a ADDRESSES <<< "${CLUSTER_ADDRESSES:-127.0.0.2 127.0.0.3}"
CORE_INTERNAL_PORT=${CORE_INTERNAL_PORT:-8001}
export RASA_PORT=${RASA_PORT:-5005} CORE_PORT=${CORE_PORT:-8000} ACTION_PORT=${ACTION_PORT:-5055}
# each node's own ports, on its own address (the same numbers as the balancer's by default)
NODE_RASA_PORT=${NODE_RASA_PORT:-$RASA_PORT}
NODE_ACTION_PORT=${NODE_ACTION_PORT:-$ACTION_PORT}
NODE_CORE_PORT=${NODE_CORE_PORT:-$CORE_PORT}
if [[ "${ASSISTANT_BIND_HOST:-127.0.0.1}" != 127.0.0.1 ]]; then
  echo "make cluster: HAProxy's public frontends listen on 127.0.0.1 (the nodes on ${ADDRESSES[*]}):" \
    "ASSISTANT_BIND_HOST is not used." >&2
fi
export ASSISTANT_BIND_HOST=127.0.0.1 SANIC_WORKERS=1

# the shared services: PostgreSQL, Redis and RabbitMQ are required (no fall-back to memory or polling)
export TRACKER_STORE=sql USE_REDIS=yes USE_RABBITMQ=yes RASA_WORKERS=1
export TRACKER_DB_HOST=${TRACKER_DB_HOST:-127.0.0.1} TRACKER_DB_PORT=${TRACKER_DB_PORT:-5432}
export TRACKER_DB_NAME=${TRACKER_DB_NAME:-canon_cluster_conversations}
export TRACKER_DB_USER=${TRACKER_DB_USER:-postgres} TRACKER_DB_PASSWORD=${TRACKER_DB_PASSWORD:-}
export CORE_DATABASE_URL=${CORE_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/canon_cluster_core}
# the core trusts X-Forwarded-For from HAProxy alone (the console's sign-in throttle counts the client's address)
export CORE_TRUSTED_PROXIES=${CORE_TRUSTED_PROXIES:-127.0.0.1}
RASA_PY=${RASA_PY:-$(dirname "${RASA:-.venv/rasa/bin/rasa}")/python}
mkdir -p build
PYTHONPATH=. "$RASA_PY" scripts/cluster_databases.py

# scripts/run.sh's set-up: secrets, Redis and RabbitMQ (required here), the endpoints file (the SQL tracker store,
# the Redis lock store, the broker, the action endpoint http://127.0.0.1:$ACTION_PORT/webhook: the balancer's), the
# core's migrations and demo data
# shellcheck source=scripts/run.sh
source scripts/run.sh --setup
# the action servers reach the core through the balancer's internal frontend
export CORE_URL="http://127.0.0.1:$CORE_INTERNAL_PORT"

NODE_ARGS=() SERVICES=() LISTED=()
for index in "${!ADDRESSES[@]}"; do
  host=${ADDRESSES[$index]} number=$((index + 1))
  NODE_ARGS+=(--rasa-node "$host:$NODE_RASA_PORT" --actions-node "$host:$NODE_ACTION_PORT"
    --core-node "$host:$NODE_CORE_PORT")
  LISTED+=("node $number on $host: rasa-$number :$NODE_RASA_PORT, actions-$number :$NODE_ACTION_PORT, core-$number :$NODE_CORE_PORT")
  SERVICES+=(--service "core-$number" "http://$host:$NODE_CORE_PORT/health"
    "$CORE_PY" -m uvicorn bot.core.main:app --host "$host" --port "$NODE_CORE_PORT" --log-level warning
    --timeout-graceful-shutdown 5 --no-proxy-headers)
  SERVICES+=(--service "actions-$number" "http://$host:$NODE_ACTION_PORT/health"
    env "ASSISTANT_BIND_HOST=$host" "$RASA_PY" -m bot.rasa_ext.action_server --actions actions
    --port "$NODE_ACTION_PORT")
  SERVICES+=(--service "rasa-$number" "http://$host:$NODE_RASA_PORT/"
    "$RASA_PY" -m bot.rasa_ext.rasa_cli run --model "$MODEL" --credentials credentials.yml --endpoints "$ENDPOINTS"
    --cors "*" --enable-api --interface "$host" --port "$NODE_RASA_PORT")
done
if [[ -z "$HAPROXY" ]]; then
  echo "make cluster needs HAProxy (Debian's package haproxy; \`make cluster\` installs it as root)." >&2
  exit 1
fi
BALANCER_CONFIG=build/cluster-haproxy-$RASA_PORT.cfg  # named as make run's ends: the benches count its CPU
"$CORE_PY" -m bot.launcher.balancer cluster --rasa "127.0.0.1:$RASA_PORT" --core "127.0.0.1:$CORE_PORT" \
  --core-internal "127.0.0.1:$CORE_INTERNAL_PORT" --actions "127.0.0.1:$ACTION_PORT" "${NODE_ARGS[@]}" \
  > "$BALANCER_CONFIG"
"$HAPROXY" -c -q -f "$BALANCER_CONFIG"
# ready once every server of every node is in the balance (HAProxy's monitor URI on RASA_PORT)
SERVICES+=(--service haproxy "http://127.0.0.1:$RASA_PORT/balancer-health" "$HAPROXY" -db -f "$BALANCER_CONFIG")

BANNER=build/banner-cluster-$RASA_PORT.txt
cat > "$BANNER" <<MSG

  The assistant is running as a cluster of ${#ADDRESSES[@]} nodes (Ctrl-C stops it; a server that crashes is restarted).
  Topology: HAProxy on 127.0.0.1 ($BALANCER_CONFIG) in front of
$(printf '             %s\n' "${LISTED[@]}")
  Web chat:  open http://localhost:$CORE_PORT/ (HAProxy -> the core nodes; the widget uses $RASA_SOCKET_URL)
  Agents:    open http://localhost:$CORE_PORT/agent ($AGENTS)
  Rasa:      http://127.0.0.1:$RASA_PORT (HAProxy -> the Rasa nodes: REST, webhooks, API; socket.io sessions stick to their node)
  Internal:  actions http://127.0.0.1:$ACTION_PORT/webhook (Rasa nodes -> action servers), core http://127.0.0.1:$CORE_INTERNAL_PORT (action servers -> core nodes)
  REST:      curl -s localhost:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' \\
               -d '{"sender": "me", "message": "Kaip užsiregistruoti verslo paskyrai?"}'
  Shared:    conversations in PostgreSQL $TRACKER_DB_HOST:$TRACKER_DB_PORT/$TRACKER_DB_NAME (Rasa's SQL tracker store);
             the core's database $(sed -E 's#^[^/]*//([^@/]*@)?#postgresql://#' <<< "$CORE_DATABASE_URL");
             Redis $REDIS_HOST:$REDIS_PORT/$REDIS_DB (locks, socket.io rooms, sign-in throttle);
             RabbitMQ: $HANDOFF_MODE.
  Secrets (never printed):
$(printf '             %s\n' "${SECRETS[@]}")
  Demo customers' tokens (valid 8 hours): $DEMO_TOKENS_FILE

MSG

FINALLY=()
if [[ "${RABBITMQ_DELETE_ON_EXIT:-no}" == yes ]]; then
  FINALLY=(--finally "$CORE_PY" -m bot.core.events delete)
fi
exec "$CORE_PY" -m bot.launcher.supervisor --banner "$BANNER" "${SERVICES[@]}" "${FINALLY[@]}"
