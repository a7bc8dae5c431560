#!/usr/bin/env bash
# Start the core service, the action server and the Rasa server in the foreground (called by `make run`).
# Ctrl-C or SIGTERM stops all three; if one dies, the others are stopped too.
set -euo pipefail
cd "$(dirname "$0")/.."

RASA=${RASA:-.venv/rasa/bin/rasa}
CORE_PY=${CORE_PY:-.venv/core/bin/python}
MODEL=${MODEL:-models/assistant.tar.gz}
ACTION_PORT=${ACTION_PORT:-5055}
RASA_PORT=${RASA_PORT:-5005}
CORE_PORT=${CORE_PORT:-8000}

REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
REDIS_DB=${REDIS_DB:-0}

RABBITMQ_HOST=${RABBITMQ_HOST:-127.0.0.1}
RABBITMQ_PORT=${RABBITMQ_PORT:-5672}
export RABBITMQ_USERNAME=${RABBITMQ_USERNAME:-guest} RABBITMQ_PASSWORD=${RABBITMQ_PASSWORD:-guest}
# One exchange and queue per Rasa port: servers started side by side (tests, several checkouts) on one RabbitMQ
# never see each other's events (the exchange is a fanout).
RABBITMQ_EXCHANGE=${RABBITMQ_EXCHANGE:-canonassistant-events-$RASA_PORT}
RABBITMQ_QUEUE=${RABBITMQ_QUEUE:-canonassistant-core-$RASA_PORT}

mkdir -p build

# Secrets for local use: from the environment, else created once under build/ (git-ignored).
local_secret() {  # variable name, file
  if [[ -z "${!1:-}" ]]; then
    [[ -s "$2" ]] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$2")
    printf -v "$1" '%s' "$(cat "$2")"
    GENERATED+=("$1 (kept in $2)")
  fi
  export "${1?}"
}
GENERATED=()
local_secret CUSTOMER_TOKEN_SECRET build/customer-token-secret
local_secret CORE_SERVICE_KEY build/core-service-key
local_secret CHAT_KEY_SECRET build/chat-key-secret  # Rasa and the core: web chat conversation keys
export CORE_DATABASE_URL=${CORE_DATABASE_URL:-sqlite:///build/core.db}
export CORE_URL="http://127.0.0.1:$CORE_PORT"
# The support page (bot/core/web): its chat widget connects to Rasa's socket.io here; demo sign-in is on for
# local use (CORE_DEMO_MODE=false turns it off; the core's own default is off).
export RASA_SOCKET_URL=${RASA_SOCKET_URL:-http://localhost:$RASA_PORT}
export CORE_DEMO_MODE=${CORE_DEMO_MODE:-true}
# Human handoff (docs/handoff.md): the core calls Rasa's HTTP API (enabled below, guarded by RASA_TOKEN); in demo
# mode the seed creates the console's demo agent with a password generated once under build/.
local_secret RASA_TOKEN build/rasa-token
export RASA_URL=${RASA_URL:-http://127.0.0.1:$RASA_PORT}
if [[ "$CORE_DEMO_MODE" == true ]]; then local_secret CORE_DEMO_AGENT_PASSWORD build/demo-agent-password; fi

ENDPOINTS=build/endpoints-$RASA_PORT.yml
# 127.0.0.1, not localhost: Rasa opens a new HTTP session per action call, and each would resolve the name again
printf 'action_endpoint:\n  url: "http://127.0.0.1:%s/webhook"\n' "$ACTION_PORT" > "$ENDPOINTS"

redis_answers() {
  { exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT"; } 2>/dev/null || return 1  # braces: stderr stays open
  printf 'PING\r\n' >&3
  local reply
  read -r -t 2 reply <&3 || reply=""
  exec 3<&- 3>&-
  [[ "$reply" == +PONG* ]]
}

# With Redis, conversations live in Redis and Rasa runs one worker per core (Redis lock store); without it,
# one worker keeps everything in memory. The tracker store is Rasa's Redis store with a cheaper save
# (bot/rasa_ext/tracker_store.py; same keys and format as `type: redis`).
if [[ "${USE_REDIS:-auto}" != "no" ]] && redis_answers; then
  cat >> "$ENDPOINTS" <<YAML
tracker_store:
  type: bot.rasa_ext.tracker_store.RedisTrackerStore
  url: $REDIS_HOST
  port: $REDIS_PORT
  db: $REDIS_DB
  key_prefix: canonassistant
  record_exp: 604800
lock_store:
  type: redis
  url: $REDIS_HOST
  port: $REDIS_PORT
  db: $REDIS_DB
  key_prefix: canonassistant
YAML
  export SANIC_WORKERS=${RASA_WORKERS:-$(nproc)}
  # socket.io rooms shared by the workers, so that a message pushed through any worker reaches the browser
  export SOCKETIO_REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT/$REDIS_DB"
  STORE="Redis at $REDIS_HOST:$REDIS_PORT, $SANIC_WORKERS Rasa workers"
else
  export SANIC_WORKERS=1
  STORE="memory (no Redis at $REDIS_HOST:$REDIS_PORT), 1 Rasa worker"
fi

# An AMQP 0-9-1 server answers the protocol header with a Connection.Start frame (type 1, channel 0, class and
# method 10).
rabbitmq_answers() {
  { exec 4<>"/dev/tcp/$RABBITMQ_HOST/$RABBITMQ_PORT"; } 2>/dev/null || return 1
  printf 'AMQP\x00\x00\x09\x01' >&4
  local reply
  reply=$(timeout 2 head -c 11 <&4 | od -An -tx1 | tr -d ' \n') || reply=""
  exec 4<&- 4>&-
  [[ "$reply" == 010000????????000a000a ]]
}

# With RabbitMQ, Rasa publishes every conversation event to it (event_broker) and the core consumes them: customer
# messages of handed-over conversations reach the console as they are written (docs/handoff.md); the broker is
# Rasa's pika broker with a cheaper publish (bot/rasa_ext/event_broker.py). Without it, the
# core reads the trackers of handed-over conversations every second. The credentials stay in the environment.
if [[ "${USE_RABBITMQ:-auto}" == "no" ]]; then
  unset HANDOFF_EVENTS_URL
  HANDOFF_MODE="the core reads Rasa's trackers every second (USE_RABBITMQ=no)"
elif rabbitmq_answers; then
  cat >> "$ENDPOINTS" <<YAML
event_broker:
  type: bot.rasa_ext.event_broker.PikaEventBroker
  url: $RABBITMQ_HOST
  port: $RABBITMQ_PORT
  username: \${RABBITMQ_USERNAME}
  password: \${RABBITMQ_PASSWORD}
  queues:
    - $RABBITMQ_QUEUE
  exchange_name: $RABBITMQ_EXCHANGE
YAML
  amqp_user=$("$CORE_PY" -c 'import sys, urllib.parse as u; print(":".join(u.quote(a, safe="") for a in sys.argv[1:]))' \
    "$RABBITMQ_USERNAME" "$RABBITMQ_PASSWORD")
  export HANDOFF_EVENTS_URL="amqp://$amqp_user@$RABBITMQ_HOST:$RABBITMQ_PORT/"
  export HANDOFF_EVENTS_QUEUE=$RABBITMQ_QUEUE HANDOFF_EVENTS_EXCHANGE=$RABBITMQ_EXCHANGE
  HANDOFF_MODE="events from RabbitMQ at $RABBITMQ_HOST:$RABBITMQ_PORT (exchange $RABBITMQ_EXCHANGE, queue $RABBITMQ_QUEUE)"
else
  unset HANDOFF_EVENTS_URL
  HANDOFF_MODE="the core reads Rasa's trackers every second (no RabbitMQ at $RABBITMQ_HOST:$RABBITMQ_PORT)"
fi

# Each server runs in its own process group (job control), so that stopping it reaches its worker processes.
set -m
pids=()
group_alive() { kill -0 -- "-$1" 2>/dev/null; }
stop_servers() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 1 30); do  # up to 15 s for a clean shutdown, then force
    local alive=0
    for pid in "${pids[@]}"; do group_alive "$pid" && alive=1; done
    [[ $alive == 0 ]] && return 0
    sleep 0.5
  done
  echo "Forcing the servers to stop." >&2
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}
stop_all() {
  trap - INT TERM EXIT
  stop_servers
  # Servers started for a while only (the tests' own ports) leave no queue behind on a shared RabbitMQ.
  if [[ -n "${HANDOFF_EVENTS_URL:-}" && "${RABBITMQ_DELETE_ON_EXIT:-no}" == yes ]]; then
    "$CORE_PY" -m bot.core.handoff.events delete || echo "Could not delete the queue $RABBITMQ_QUEUE." >&2
  fi
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

# The core service: migrate, seed the demo customers into an empty database, serve on CORE_PORT.
TOKENS=$("$CORE_PY" -m bot.core.seed)
"$CORE_PY" -m uvicorn bot.core.main:app --host 127.0.0.1 --port "$CORE_PORT" --log-level warning \
  --timeout-graceful-shutdown 5 &  # the console's live streams would otherwise hold a shutdown
pids+=($!)
"$RASA" run actions --actions actions --port "$ACTION_PORT" &
pids+=($!)
"$RASA" run --model "$MODEL" --port "$RASA_PORT" --credentials credentials.yml --endpoints "$ENDPOINTS" --cors "*" \
  --enable-api --auth-token "$RASA_TOKEN" &
pids+=($!)

wait_for() {  # url, name
  for _ in $(seq 1 240); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "$2 exited during start-up" >&2; exit 1; }; done
    sleep 0.5
  done
  echo "$2 did not start within 120 s" >&2
  exit 1
}
wait_for "http://127.0.0.1:$CORE_PORT/health" "The core service"
wait_for "http://localhost:$ACTION_PORT/health" "The action server"
wait_for "http://localhost:$RASA_PORT/" "The Rasa server"

cat <<MSG

  The assistant is running (Ctrl-C stops it).
  Web chat:  open http://localhost:$CORE_PORT/ (the support page; its widget uses $RASA_SOCKET_URL; demo sign-in: $CORE_DEMO_MODE)
  REST:      curl -s localhost:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' \\
               -d '{"sender": "me", "message": "Kaip užsiregistruoti verslo paskyrai?"}'
  socket.io: ws://localhost:$RASA_PORT/socket.io (events user_uttered / bot_uttered)
  Actions:   http://localhost:$ACTION_PORT/webhook
  Core API:  $CORE_URL/docs (header X-Service-Key; account routes also X-Customer-Token)
  Agents:    open http://localhost:$CORE_PORT/agent (the agent console; human handoff, docs/handoff.md)
$(if [[ "$CORE_DEMO_MODE" == true ]]; then
    printf '             demo agent: username demo-agent, password %s\n' "$CORE_DEMO_AGENT_PASSWORD"
  else
    printf '             create agents with: %s -m bot.core.agents create <username>\n' "$CORE_PY"
  fi)
  Rasa API:  $RASA_URL (token RASA_TOKEN, used by the core to deliver agents' replies)
  Conversations are kept in $STORE.
  Handed-over conversations: $HANDOFF_MODE.
  Generated for local use: ${GENERATED[*]:-nothing (all secrets came from the environment)}
  CUSTOMER_TOKEN_SECRET=$CUSTOMER_TOKEN_SECRET

  Demo customers and their customer_token (send it in the message metadata):
$(sed 's/^/    /' <<< "$TOKENS")

MSG

wait -n "${pids[@]}"
echo "A server stopped; stopping the other." >&2
exit 1
