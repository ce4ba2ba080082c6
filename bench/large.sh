# Shared by the benchmarks on the large dataset (sourced, not run): the database at `$url`,
# a release server on a free port with the dataset's data directory (`$data`; DATA names
# another), scratch files in `$work`, and logins. A SQLite dataset is the directory that
# `portico demo --scale large --data-dir DIR` made: its database, secrets key and files.
bin=${BIN:-target/release/portico}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# The secrets key of the dataset (the database remembers which key seals its secrets): beside
# a SQLite file, in the home directory for PostgreSQL.
# Its files too: the database records which storage holds them and refuses another, so every
# run uses the dataset's data directory (beside the SQLite file, or one in the home directory
# for PostgreSQL), not a fresh one.
case $url in
  sqlite://*)
    export PORTICO_SECRETS_KEY_FILE=${KEY:-$(dirname "${url#sqlite://}")/secrets.key}
    data=${DATA:-$(dirname "${url#sqlite://}")} ;;
  *)
    export PORTICO_SECRETS_KEY_FILE=${KEY:-$HOME/.portico-bench-secrets.key}
    db=${url##*/}
    data=${DATA:-$HOME/.portico-bench-data/${db%%\?*}} ;;
esac
mkdir -p "$data"

# A query's result, on either backend.
sql() {
  case $url in
    sqlite://*) sqlite3 "${url#sqlite://}" "$1" ;;
    *) psql "$url" -Atc "$1" ;;
  esac
}

# A UUID column as text on either backend.
uuid() {
  case $url in
    sqlite://*) echo "lower(substr(hex($1),1,8)||'-'||substr(hex($1),9,4)||'-'||substr(hex($1),13,4)||'-'||substr(hex($1),17,4)||'-'||substr(hex($1),21))" ;;
    *) echo "$1::text" ;;
  esac
}

# Starts the server on the database; it stops (and `$work` goes) when the script ends.
start_server() {
  DATABASE_URL=$url PORTICO_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --data-dir "$data" >"$work/out.log" 2>&1 &
  pid=$!
  # `also_kill`: the caller's own peers (a payment gateway), stopped with the server.
  trap 'kill $pid ${also_kill:-} 2>/dev/null; rm -rf "$work"' EXIT
  until curl -fs "$base/readyz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "the server stopped:" >&2; cat "$work/out.log" >&2; exit 1; }
    sleep 0.05
  done
}

# The session cookie of a demo login.
login() {
  local jar="$work/jar-$1"
  local csrf
  csrf=$(curl -s -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
  curl -s -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&email=$1&password=portico-demo" "$base/login"
  echo "portico_session=$(awk '$6 == "portico_session" {print $7}' "$jar"); portico_csrf=$csrf"
}

# Fails the benchmark unless PATH answers 200 with the HEADER (a cookie or a bearer token).
check() {
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "$2" "$base$1")
  [ "$status" = 200 ] || { echo "$1 answered $status" >&2; exit 1; }
}

# wrk's throughput and latency for one page: NAME HEADER PATH [CONNECTIONS, default 2].
measure() {
  local name=$1 header=$2 path=$3 connections=${4:-2}
  check "$path" "$header"
  echo "== $name ($path), wrk -t1 -c$connections -d10s"
  wrk -t1 -c"$connections" -d10s --latency -H "$header" "$base$path" | grep -E "Requests/sec| 50%| 99%|Non-2xx"
}
