#!/usr/bin/env bash
# Set up the environment of `make run` (secrets, stores, endpoints) and hand over to the supervisor
# (bot/launcher/supervisor.py), which starts the core service, the action server, the Rasa processes and HAProxy in
# front of them, restarts one that crashes, and stops them all on one Ctrl-C or SIGTERM (docs/operations.md).
# `scripts/run.sh --check` does the set-up and its checks and prints the summary, without starting anything.
# `source scripts/run.sh --setup` (scripts/cluster.sh) does the set-up alone (secrets, stores, broker, endpoints, the
# core's database) and returns, for another topology of the same servers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
trap 'exit 130' INT
trap 'exit 143' TERM

RASA=${RASA:-.venv/rasa/bin/rasa}
RASA_PY=${RASA_PY:-$(dirname "$RASA")/python}  # Rasa's environment, for the wrappers around Rasa and rasa_sdk
CORE_PY=${CORE_PY:-.venv/core/bin/python}
MODEL=${MODEL:-models/assistant.tar.gz}
ACTION_PORT=${ACTION_PORT:-5055}
RASA_PORT=${RASA_PORT:-5005}
CORE_PORT=${CORE_PORT:-8000}
# HAProxy on RASA_PORT in front of the Rasa processes (Debian's package haproxy; `make run` installs it as root)
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
if [[ ! -x "$HAPROXY" ]]; then HAPROXY=$(command -v haproxy || true); fi
CHECK_ONLY=no SETUP_ONLY=no
[[ "${1:-}" == --check ]] && CHECK_ONLY=yes
[[ "${1:-}" == --setup ]] && SETUP_ONLY=yes

# Every server listens on 127.0.0.1 only, unless ASSISTANT_BIND_HOST opens them (0.0.0.0, or one address) for a
# deployment behind a firewall or proxy. The servers reach each other on LOCAL_HOST.
export ASSISTANT_BIND_HOST=${ASSISTANT_BIND_HOST:-127.0.0.1}
case "$ASSISTANT_BIND_HOST" in
  0.0.0.0|::|127.0.0.1|localhost) LOCAL_HOST=127.0.0.1 ;;
  *) LOCAL_HOST=$ASSISTANT_BIND_HOST ;;
esac
# ASSISTANT_ENV=production: no fall-back to memory (Redis is required), no demo sign-in unless asked for.
ASSISTANT_ENV=${ASSISTANT_ENV:-development}
PRODUCTION=no
[[ "$ASSISTANT_ENV" == production ]] && PRODUCTION=yes

REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
REDIS_DB=${REDIS_DB:-0}
# A conversation quiet for CONVERSATION_RETENTION_DAYS (default 180: as long as the core keeps its analytics,
# docs/analytics.md "Privacy") expires from Redis (record_exp: each save starts the count again); the SQL store's
# retention job reads the same variable (bot/rasa_ext/retention.py).
RETENTION_DAYS=${CONVERSATION_RETENTION_DAYS:-180}
RETENTION_SECONDS=0
if [[ "$RETENTION_DAYS" =~ ^[0-9]{1,5}(\.[0-9]{1,6})?$ ]]; then
  RETENTION_SECONDS=$(awk -v days="$RETENTION_DAYS" 'BEGIN { printf "%d", days * 86400 }')
fi
if (( RETENTION_SECONDS < 1 )); then
  echo "CONVERSATION_RETENTION_DAYS must be a number of days (more than 0), not '$RETENTION_DAYS'." >&2
  exit 1
fi

RABBITMQ_HOST=${RABBITMQ_HOST:-127.0.0.1}
RABBITMQ_PORT=${RABBITMQ_PORT:-5672}
export RABBITMQ_USERNAME=${RABBITMQ_USERNAME:-guest} RABBITMQ_PASSWORD=${RABBITMQ_PASSWORD:-guest}
# One exchange and queue per Rasa port: servers started side by side (tests, several checkouts) on one RabbitMQ
# never see each other's events (the exchange is a fanout).
RABBITMQ_EXCHANGE=${RABBITMQ_EXCHANGE:-canonassistant-events-$RASA_PORT}
RABBITMQ_QUEUE=${RABBITMQ_QUEUE:-canonassistant-core-$RASA_PORT}
# the analytics recorder's own queue on the same exchange (docs/analytics.md)
ANALYTICS_EVENTS_QUEUE=${ANALYTICS_EVENTS_QUEUE:-canonassistant-analytics-$RASA_PORT}

mkdir -p build

# Secrets for local use: from the environment, else created once under build/ (git-ignored, mode 600). They are
# never printed, nor put on a command line (visible to every user in `ps`): the summary says where each is kept.
local_secret() {  # variable name, file
  if [[ -z "${!1:-}" ]]; then
    [[ -s "$2" ]] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$2")
    printf -v "$1" '%s' "$(cat "$2")"
    SECRETS+=("$1 in $2")
  else
    SECRETS+=("$1 from the environment")
  fi
  export "${1?}"
}
SECRETS=()
local_secret CUSTOMER_TOKEN_SECRET build/customer-token-secret
local_secret CORE_SERVICE_KEY build/core-service-key
local_secret CHAT_KEY_SECRET build/chat-key-secret  # Rasa and the core: web chat conversation keys
# Rasa sends it to the action server in the header X-Action-Token (bot/rasa_ext/action_server.py)
local_secret ACTION_SERVER_TOKEN build/action-server-token
export CORE_DATABASE_URL=${CORE_DATABASE_URL:-sqlite:///build/core.db}
export CORE_URL="http://$LOCAL_HOST:$CORE_PORT"
# The support page (bot/core/web): its chat widget connects to Rasa's socket.io here; demo sign-in is on for
# local use (CORE_DEMO_MODE=false turns it off; the core's own default is off).
export RASA_SOCKET_URL=${RASA_SOCKET_URL:-http://localhost:$RASA_PORT}
if [[ $PRODUCTION == yes ]]; then export CORE_DEMO_MODE=${CORE_DEMO_MODE:-false}; fi
export CORE_DEMO_MODE=${CORE_DEMO_MODE:-true}
# Human handoff (docs/handoff.md): the core calls Rasa's HTTP API (enabled below, guarded by RASA_TOKEN, which Rasa
# reads from its environment: bot/rasa_ext/rasa_cli.py); in demo mode the seed creates the console's demo agent and
# demo admin with a password generated once under build/.
local_secret RASA_TOKEN build/rasa-token
export RASA_URL=${RASA_URL:-http://$LOCAL_HOST:$RASA_PORT}
if [[ "$CORE_DEMO_MODE" == true ]]; then local_secret CORE_DEMO_AGENT_PASSWORD build/demo-agent-password; fi
DEMO_TOKENS_FILE=${DEMO_TOKENS_FILE:-build/demo-customer-tokens.tsv}

ENDPOINTS=build/endpoints-$RASA_PORT.yml
# An IP address, not localhost: Rasa opens a new HTTP session per action call, and each would resolve the name
# again. The secret stays a reference: Rasa's YAML reader fills in ${ACTION_SERVER_TOKEN} from its environment.
cat > "$ENDPOINTS" <<YAML
action_endpoint:
  url: "http://$LOCAL_HOST:$ACTION_PORT/webhook"
  headers:
    X-Action-Token: \${ACTION_SERVER_TOKEN}
YAML

# A loud warning on stderr (several lines, so that it is not lost in the servers' logs).
warn() {
  {
    echo
    echo "  ************************************************************************************************"
    printf '  * %s\n' "$@"
    echo "  ************************************************************************************************"
    echo
  } >&2
}
refuse() {  # in production configuration: stop before starting anything
  warn "NOT STARTING (ASSISTANT_ENV=production): $1" "${@:2}"
  exit 1
}

redis_answers() {
  { exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT"; } 2>/dev/null || return 1  # braces: stderr stays open
  printf 'PING\r\n' >&3
  local reply
  read -r -t 2 reply <&3 || reply=""
  exec 3<&- 3>&-
  [[ "$reply" == +PONG* ]]
}

# With Redis, conversations live in Redis and Rasa runs one process per core (RASA_WORKERS; Redis lock store);
# without it, one process keeps everything in memory. The tracker store is Rasa's Redis store with a cheaper save
# (bot/rasa_ext/tracker_store.py; same keys and format as `type: redis`).
# In production (ASSISTANT_ENV=production) Redis is required: the launcher refuses to run on memory.
USE_REDIS=${USE_REDIS:-auto}
if [[ $PRODUCTION == yes && "$USE_REDIS" == no ]]; then
  refuse "USE_REDIS=no: conversations would be kept in memory and lost at every restart." \
    "Start Redis and unset USE_REDIS, or run with ASSISTANT_ENV=development."
fi
# socket.io frames over a websocket up to the same 2 MB as HTTP bodies (bot/rasa_ext/input_limits.py), so that a
# long message gets the "keep it shorter" answer instead of a closed connection (Sanic reads it at start; 1 MiB else)
export SANIC_WEBSOCKET_MAX_SIZE=${SANIC_WEBSOCKET_MAX_SIZE:-2097152}
# Without Redis: one process, Rasa's in-memory store without customer tokens (bot/rasa_ext/tracker_store.py).
memory_store() {
  cat >> "$ENDPOINTS" <<YAML
tracker_store:
  type: bot.rasa_ext.tracker_store.InMemoryTrackerStore
YAML
  RASA_PROCESSES=1
}
if [[ "$USE_REDIS" != "no" ]] && redis_answers; then
  if [[ "${TRACKER_STORE:-redis}" == sql ]]; then
    # TRACKER_STORE=sql (scripts/cluster.sh): conversations in PostgreSQL (TRACKER_DB_*; the database and its table
    # must exist), Redis for the locks
    cat >> "$ENDPOINTS" <<YAML
tracker_store:
  type: bot.rasa_ext.tracker_store.SQLTrackerStore
  dialect: postgresql
  url: $TRACKER_DB_HOST
  port: $TRACKER_DB_PORT
  db: $TRACKER_DB_NAME
  username: $TRACKER_DB_USER
  password: \${TRACKER_DB_PASSWORD}
YAML
  else
    cat >> "$ENDPOINTS" <<YAML
tracker_store:
  type: bot.rasa_ext.tracker_store.RedisTrackerStore
  url: $REDIS_HOST
  port: $REDIS_PORT
  db: $REDIS_DB
  key_prefix: canonassistant
  record_exp: $RETENTION_SECONDS
YAML
  fi
  cat >> "$ENDPOINTS" <<YAML
lock_store:
  type: redis
  url: $REDIS_HOST
  port: $REDIS_PORT
  db: $REDIS_DB
  key_prefix: canonassistant
YAML
  RASA_PROCESSES=${RASA_WORKERS:-$(nproc)}
  if ! [[ "$RASA_PROCESSES" =~ ^[1-9][0-9]*$ ]]; then
    echo "RASA_WORKERS must be a number of Rasa processes (1 or more), not '$RASA_PROCESSES'." >&2
    exit 1
  fi
  # socket.io rooms shared by the processes, so that a message pushed through any of them reaches the browser
  export SOCKETIO_REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT/$REDIS_DB"
  # the console's failed sign-ins counted once for every core process (bot/core/console/throttle.py)
  export CORE_REDIS_URL=${CORE_REDIS_URL:-$SOCKETIO_REDIS_URL}
  STORE="Redis at $REDIS_HOST:$REDIS_PORT"
elif [[ "$USE_REDIS" == no ]]; then
  memory_store
  STORE="memory (USE_REDIS=no)"
else
  if [[ $PRODUCTION == yes || "$USE_REDIS" == yes ]]; then
    refuse "Redis does not answer at $REDIS_HOST:$REDIS_PORT (REDIS_HOST, REDIS_PORT)." \
      "Conversations would be kept in memory and lost at every restart. Start Redis, then start again."
  fi
  warn "WARNING: Redis does not answer at $REDIS_HOST:$REDIS_PORT (REDIS_HOST, REDIS_PORT)." \
    "Running on MEMORY with ONE Rasa process: every open conversation and guided flow is forgotten when Rasa" \
    "stops or restarts, and only one customer message is handled at a time." \
    "Start Redis and start again (USE_REDIS=no runs on memory on purpose, without this warning)." \
    "With ASSISTANT_ENV=production the launcher refuses to start without Redis."
  memory_store
  STORE="MEMORY (no Redis at $REDIS_HOST:$REDIS_PORT: see the warning above)"
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
# USE_RABBITMQ=yes makes RabbitMQ required: without it the launcher refuses to start.
USE_RABBITMQ=${USE_RABBITMQ:-auto}
if [[ "$USE_RABBITMQ" == "no" ]]; then
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
  export ANALYTICS_EVENTS_QUEUE
  # the core's queues exist before Rasa publishes: the analytics queue keeps every event from the start, even while
  # the core is not consuming (docs/analytics.md)
  if [[ $CHECK_ONLY == no ]]; then "$CORE_PY" -m bot.core.events declare; fi
  HANDOFF_MODE="events from RabbitMQ at $RABBITMQ_HOST:$RABBITMQ_PORT (exchange $RABBITMQ_EXCHANGE, queues $RABBITMQ_QUEUE and $ANALYTICS_EVENTS_QUEUE)"
else
  if [[ "$USE_RABBITMQ" == yes ]]; then
    if [[ $PRODUCTION == yes ]]; then
      refuse "RabbitMQ does not answer at $RABBITMQ_HOST:$RABBITMQ_PORT (USE_RABBITMQ=yes)." \
        "Start RabbitMQ, then start again."
    fi
    warn "NOT STARTING: RabbitMQ does not answer at $RABBITMQ_HOST:$RABBITMQ_PORT (USE_RABBITMQ=yes)." \
      "Start RabbitMQ, or set USE_RABBITMQ=auto to fall back to reading Rasa's trackers."
    exit 1
  fi
  warn "Note: RabbitMQ does not answer at $RABBITMQ_HOST:$RABBITMQ_PORT: the core reads the trackers of" \
    "handed-over conversations every second instead of receiving Rasa's events (USE_RABBITMQ=no: no note)."
  unset HANDOFF_EVENTS_URL
  HANDOFF_MODE="the core reads Rasa's trackers every second (no RabbitMQ at $RABBITMQ_HOST:$RABBITMQ_PORT)"
fi

# The core service: migrate, seed the demo customers into an empty database; their tokens (valid 8 hours) go to
# DEMO_TOKENS_FILE (mode 600), whose path is printed.
if [[ $CHECK_ONLY == no ]]; then "$CORE_PY" -m bot.core.seed --tokens-file "$DEMO_TOKENS_FILE"; fi
if [[ "$CORE_DEMO_MODE" == true ]]; then
  if [[ "${SECRETS[*]}" == *"CORE_DEMO_AGENT_PASSWORD in "* ]]; then where="in build/demo-agent-password"
  else where="from CORE_DEMO_AGENT_PASSWORD"; fi
  AGENTS="demo agent: username demo-agent (and demo-admin, who also sees the dashboard), password $where"
else
  AGENTS="create agents with: $CORE_PY -m bot.core.agents create <username>"
fi
# scripts/cluster.sh goes on with its own topology
if [[ $SETUP_ONLY == yes ]]; then return 0; fi

# Rasa: RASA_PROCESSES processes, each with one Sanic worker on a loopback port of its own (RASA_NODE_PORTS, else
# free ports chosen now), behind HAProxy on RASA_PORT (build/haproxy-$RASA_PORT.cfg, bot/launcher/balancer.py): a
# socket.io session's requests stick to the process that opened it, everything else is balanced. Sanic's own
# workers on one port would refuse a polling client's requests that land on another worker ("Invalid session").
# The core, the benches and every client use RASA_PORT alone. Without HAProxy: one Rasa process on RASA_PORT with
# RASA_PROCESSES Sanic workers, as before (polling clients then fail on some loads: a loud warning).
BALANCER_CONFIG=build/haproxy-$RASA_PORT.cfg
if [[ -n "$HAPROXY" ]]; then
  export SANIC_WORKERS=1
  read -r -a NODE_PORTS <<< "${RASA_NODE_PORTS:-$("$CORE_PY" -m bot.launcher.balancer free-ports "$RASA_PROCESSES")}"
  if [[ ${#NODE_PORTS[@]} != "$RASA_PROCESSES" ]]; then
    echo "RASA_NODE_PORTS must name $RASA_PROCESSES ports (one per Rasa process), not '${RASA_NODE_PORTS:-}'." >&2
    exit 1
  fi
  NODES=() LISTED=""
  for port in "${NODE_PORTS[@]}"; do NODES+=(--node "127.0.0.1:$port"); LISTED+="${LISTED:+, }127.0.0.1:$port"; done
  "$CORE_PY" -m bot.launcher.balancer config --listen "$ASSISTANT_BIND_HOST:$RASA_PORT" "${NODES[@]}" \
    > "$BALANCER_CONFIG"
  if [[ -n "${SOCKETIO_REDIS_URL:-}" ]]; then WHY="RASA_WORKERS"; else WHY="one: conversations in memory"; fi
  if [[ $RASA_PROCESSES == 1 ]]; then WHAT="1 Rasa process"; else WHAT="$RASA_PROCESSES Rasa processes"; fi
  TOPOLOGY="$WHAT ($WHY) on $LISTED"
  TOPOLOGY+=" behind HAProxy on $ASSISTANT_BIND_HOST:$RASA_PORT (socket.io sessions stick to their process;"
  TOPOLOGY+=" $BALANCER_CONFIG)"
else
  export SANIC_WORKERS=$RASA_PROCESSES
  if [[ $RASA_PROCESSES -gt 1 ]]; then
    if [[ $PRODUCTION == yes ]]; then
      refuse "HAProxy is missing (Debian's package haproxy; HAPROXY names its binary)." \
        "Without it several Rasa workers share RASA_PORT and socket.io clients that start with HTTP long-polling" \
        "(rasa-webchat) fail on some page loads. Install haproxy, or set RASA_WORKERS=1."
    fi
    warn "WARNING: HAProxy is missing (Debian's package haproxy; \`make run\` installs it as root)." \
      "Running ONE Rasa process with $RASA_PROCESSES Sanic workers on port $RASA_PORT: socket.io clients that start" \
      "with HTTP long-polling (rasa-webchat, python-socketio's default) fail on some page loads and reloads" \
      "(400 Invalid session); our web chat (websocket only) and REST work. Install haproxy and start again."
  fi
  TOPOLOGY="1 Rasa process with $RASA_PROCESSES Sanic worker(s) on $ASSISTANT_BIND_HOST:$RASA_PORT (no HAProxy)"
fi
BANNER=build/banner-$RASA_PORT.txt
if [[ $CHECK_ONLY == yes ]]; then HEADING="Checked (--check): nothing started. The assistant would run as follows."
else HEADING="The assistant is running (Ctrl-C stops it; a server that crashes is restarted: docs/operations.md)."; fi
cat > "$BANNER" <<MSG

  $HEADING
  Web chat:  open http://localhost:$CORE_PORT/ (the support page; its widget uses $RASA_SOCKET_URL; demo sign-in: $CORE_DEMO_MODE)
  REST:      curl -s localhost:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' \\
               -d '{"sender": "me", "message": "Kaip užsiregistruoti verslo paskyrai?"}'
  socket.io: ws://localhost:$RASA_PORT/socket.io (events user_uttered / bot_uttered)
  Actions:   http://$LOCAL_HOST:$ACTION_PORT/webhook (Rasa only: header X-Action-Token)
  Core API:  $CORE_URL/docs (header X-Service-Key; account routes also X-Customer-Token)
  Agents:    open http://localhost:$CORE_PORT/agent (the agent console; human handoff, docs/handoff.md)
             $AGENTS
  Rasa API:  $RASA_URL (RASA_TOKEN: header Authorization: Bearer <JWT signed with it>, used by the core)
  Listening: on $ASSISTANT_BIND_HOST (ASSISTANT_BIND_HOST); configuration: $ASSISTANT_ENV (ASSISTANT_ENV)
  Rasa:      $TOPOLOGY
  Conversations are kept in $STORE.
  Handed-over conversations: $HANDOFF_MODE.
  Secrets (never printed):
$(printf '             %s\n' "${SECRETS[@]}")
  Demo customers' tokens (valid 8 hours; send one as customer_token in the message metadata): $DEMO_TOKENS_FILE

MSG

if [[ $CHECK_ONLY == yes ]]; then
  cat "$BANNER"
  if [[ -n "$HAPROXY" ]]; then "$HAPROXY" -c -q -f "$BALANCER_CONFIG"; fi  # the generated configuration is valid
  exit 0
fi

RASA_RUN=("$RASA_PY" -m bot.rasa_ext.rasa_cli run --model "$MODEL" --credentials credentials.yml
  --endpoints "$ENDPOINTS" --cors "*" --enable-api)
RASA_SERVICES=()
if [[ -n "$HAPROXY" ]]; then
  for index in "${!NODE_PORTS[@]}"; do
    port=${NODE_PORTS[$index]}
    RASA_SERVICES+=(--service "rasa-$((index + 1))" "http://127.0.0.1:$port/"
      "${RASA_RUN[@]}" --interface 127.0.0.1 --port "$port")
  done
  # ready once every Rasa process is in the balance (HAProxy's monitor URI, bot/launcher/balancer.py)
  RASA_SERVICES+=(--service haproxy "http://$LOCAL_HOST:$RASA_PORT/balancer-health"
    "$HAPROXY" -db -f "$BALANCER_CONFIG")
else
  RASA_SERVICES+=(--service rasa "http://$LOCAL_HOST:$RASA_PORT/"
    "${RASA_RUN[@]}" --interface "$ASSISTANT_BIND_HOST" --port "$RASA_PORT")
fi

# The supervisor starts the servers, each in its own process group (stopping one reaches its workers).
# Servers started for a while only (the tests' own ports) leave no queue behind on a shared RabbitMQ (the handoff's
# and the analytics' queues, and the exchange).
FINALLY=()
if [[ -n "${HANDOFF_EVENTS_URL:-}" && "${RABBITMQ_DELETE_ON_EXIT:-no}" == yes ]]; then
  FINALLY=(--finally "$CORE_PY" -m bot.core.events delete)
fi
exec "$CORE_PY" -m bot.launcher.supervisor --banner "$BANNER" \
  --service core "http://$LOCAL_HOST:$CORE_PORT/health" \
    "$CORE_PY" -m uvicorn bot.core.main:app --host "$ASSISTANT_BIND_HOST" --port "$CORE_PORT" --log-level warning \
    --timeout-graceful-shutdown 5 --no-proxy-headers \
  --service actions "http://$LOCAL_HOST:$ACTION_PORT/health" \
    "$RASA_PY" -m bot.rasa_ext.action_server --actions actions --port "$ACTION_PORT" \
  "${RASA_SERVICES[@]}" \
  "${FINALLY[@]}"
