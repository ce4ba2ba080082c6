#!/usr/bin/env bash
# Figures of issue 4: upload and download throughput on loopback (MB/s) and the server's peak
# RSS while it streams a 1 GB file, for local storage and for S3 (s3s-fs); then a folder of
# 10,000 files listed page by page (p50/p99 with wrk). Usage: bench/files.sh [local|s3]
# (s3 needs S3S_FS=path/to/s3s-fs). BIN names another binary (default target/release/portico).
# Needs curl and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/portico}
mode=${1:-local}
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
base="http://127.0.0.1:$port"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT

env=(PORTICO_LOG=warn PORTICO_FILES_MAX_UPLOAD_MB=2048)
if [ "$mode" = s3 ]; then
  s3_port=$(free_port)
  mkdir -p "$work/s3/bench"
  "${S3S_FS:?set S3S_FS to the s3s-fs binary}" --host 127.0.0.1 --port "$s3_port" --access-key bench --secret-key bench-secret "$work/s3" >/dev/null 2>&1 &
  pids+=($!)
  env+=(PORTICO_FILES_STORAGE=s3 PORTICO_FILES_S3_BUCKET=bench PORTICO_FILES_S3_ENDPOINT="http://127.0.0.1:$s3_port"
        PORTICO_FILES_S3_ACCESS_KEY=bench PORTICO_FILES_S3_SECRET_KEY=bench-secret)
fi
env "${env[@]}" "$bin" serve --demo --listen "127.0.0.1:$port" --data-dir "$work/data" >"$work/out.log" 2>&1 &
pid=$!
pids+=($pid)
until curl -fs "$base/readyz" >/dev/null 2>&1; do sleep 0.1; done

jar="$work/jar"
csrf=$(curl -s -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&email=staff@example.com&password=portico-demo" "$base/login"
project=$(curl -s -b "$jar" "$base/projects" | grep -o '/projects/[0-9a-f-]\{36\}' | head -n 1 | cut -d/ -f3)
rss() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }

echo "== $mode storage, 1 GB file"
head -c 1073741824 /dev/urandom >"$work/big.bin"
echo "server RSS before: $(rss VmRSS) kB (peak so far $(rss VmHWM) kB)"
start=$(date +%s.%N)
curl -s -b "$jar" -o /dev/null -F "files=@$work/big.bin" "$base/projects/$project/files?_csrf=$csrf"
end=$(date +%s.%N)
echo "upload: $(python3 -c "print(f'{1024/($end-$start):.0f} MB/s ({$end-$start:.1f} s)')")"
echo "server peak RSS after the upload: $(rss VmHWM) kB"
file=$(curl -s -b "$jar" "$base/projects/$project/files" | grep -o 'files/[0-9a-f-]\{36\}/download" aria-label="Download big.bin"' | cut -d'"' -f1)
[ -n "$file" ] || { echo "big.bin was not uploaded" >&2; tail -5 "$work/out.log" >&2; exit 1; }
start=$(date +%s.%N)
curl -s -L -b "$jar" -o "$work/back.bin" "$base/projects/$project/$file"
end=$(date +%s.%N)
echo "download: $(python3 -c "print(f'{1024/($end-$start):.0f} MB/s ({$end-$start:.1f} s)')")"
cmp -s "$work/big.bin" "$work/back.bin" && echo "the download matches the upload byte for byte"
echo "server peak RSS after the download: $(rss VmHWM) kB"
rm -f "$work/big.bin" "$work/back.bin"

echo "== a folder of 10,000 files"
folder_page=$(curl -s -b "$jar" -c "$jar" -D - -o /dev/null -d "_csrf=$csrf&name=Ten+thousand" "$base/projects/$project/folders" | sed -n 's/^location: //Ip' | tr -d '\r')
folder=${folder_page##*folder=}
mkdir -p "$work/small"
for i in $(seq -w 0 19); do echo "file $i" >"$work/small/$i.txt"; done
start=$(date +%s.%N)
for batch in $(seq -w 0 499); do
  args=()
  for i in $(seq -w 0 19); do args+=(-F "files=@$work/small/$i.txt;filename=doc-$batch-$i.txt"); done
  status=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' "${args[@]}" "$base/projects/$project/files?folder=$folder&_csrf=$csrf")
  [ "$status" = 303 ] || { echo "batch $batch answered $status" >&2; exit 1; }
done
end=$(date +%s.%N)
echo "10,000 small files uploaded in $(python3 -c "print(f'{$end-$start:.1f} s')") (20 per request)"
cookie="portico_session=$(awk '$6 == "portico_session" {print $7}' "$jar")"
first="/projects/$project/files?folder=$folder"
# Page 401 of 500: the keyset starts after the 8,000th name, as the "Next page" links do.
deep="$first&after=doc-399-19.txt&after_id=ffffffff-ffff-ffff-ffff-ffffffffffff"
deep_page=$(curl -s -b "$jar" "$base$deep")
case $deep_page in
  *doc-400-00.txt*) ;;
  *) echo "the deep page does not list doc-400-00.txt" >&2; exit 1 ;;
esac
for path in "$first" "$deep"; do
  echo "-- $path"
  wrk -t1 -c2 -d10s --latency -H "Cookie: $cookie" "$base$path" | grep -E "Requests/sec| 50%| 99%|Non-2xx"
done
