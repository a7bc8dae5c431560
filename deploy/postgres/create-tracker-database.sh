#!/bin/sh
# Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d; deploy/compose.yaml): the
# image creates the core's database (POSTGRES_DB); this creates Rasa's conversation database (TRACKER_DB_NAME),
# owned by the same user. Rasa creates its `events` table in it; the core's tables come from its migrations.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set tracker_db="$TRACKER_DB_NAME" --set owner="$POSTGRES_USER" <<'SQL'
CREATE DATABASE :"tracker_db" OWNER :"owner";
SQL
