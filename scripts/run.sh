#!/usr/bin/env bash
# Start the action server and the Rasa server in the foreground (called by `make run`).
# Ctrl-C or SIGTERM stops both; if either dies, the other is stopped too.
set -euo pipefail
cd "$(dirname "$0")/.."

RASA=${RASA:-.venv/rasa/bin/rasa}
MODEL=${MODEL:-models/assistant.tar.gz}
ACTION_PORT=${ACTION_PORT:-5055}
RASA_PORT=${RASA_PORT:-5005}

mkdir -p build
ENDPOINTS=build/endpoints.yml
printf 'action_endpoint:\n  url: "http://localhost:%s/webhook"\n' "$ACTION_PORT" > "$ENDPOINTS"

pids=()
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

"$RASA" run actions --actions actions --port "$ACTION_PORT" &
pids+=($!)
"$RASA" run --model "$MODEL" --port "$RASA_PORT" --credentials credentials.yml --endpoints "$ENDPOINTS" --cors "*" &
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
wait_for "http://localhost:$ACTION_PORT/health" "The action server"
wait_for "http://localhost:$RASA_PORT/" "The Rasa server"

cat <<MSG

  The assistant is running (Ctrl-C stops it).
  REST:      curl -s localhost:$RASA_PORT/webhooks/rest/webhook -H 'Content-Type: application/json' \\
               -d '{"sender": "me", "message": "Kaip užsiregistruoti verslo paskyrai?"}'
  socket.io: ws://localhost:$RASA_PORT/socket.io (events user_uttered / bot_uttered)
  Actions:   http://localhost:$ACTION_PORT/webhook

MSG

wait -n "${pids[@]}"
echo "A server stopped; stopping the other." >&2
exit 1
