#!/usr/bin/env bash
# Thumbnail memory (issue 11, item 2): eight 4000 × 4000 PNGs (48 MB each when decoded) and
# one 8000 × 8000 RGBA PNG (256 MB decoded, 250 KB on disk) uploaded as staff, then every
# thumbnail asked for at once, eight times over. Prints RSS and its high-water mark before
# and after. Usage: bench/thumbnails.sh; BIN names another binary. Needs curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/portico}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
PORTICO_LOG=warn PORTICO_FILES_MAX_UPLOAD_MB=100 "$bin" serve --demo --listen "127.0.0.1:$port" --data-dir "$work" >"$work/out.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
until curl -fs "$base/readyz" >/dev/null 2>&1; do sleep 0.05; done
rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %d MiB  ", $1, $2 / 1024} END {print ""}' "/proc/$pid/status"; }

python3 - "$work" <<'PY'
import struct, sys, zlib
def png(path, side, channels, shade):
    kind = {3: 2, 4: 6}[channels]
    row = b"\0" + bytes([shade, 90, 200, 255][:channels]) * side
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    chunk = lambda tag, body: struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, kind, 0, 0, 0)) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
for n in range(8):
    png(f"{sys.argv[1]}/photo-{n}.png", 4000, 3, 20 * n)
png(f"{sys.argv[1]}/huge-canvas.png", 8000, 4, 10)
PY

jar="$work/jar"
csrf=$(curl -s -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&email=staff%40example.com&password=portico-demo" "$base/login"
project=$(curl -s -b "$jar" "$base/projects" | grep -o 'href="/projects/[0-9a-f-]\{36\}"' | head -n 1 | sed 's/href="//; s/"$//')
for f in "$work"/*.png; do
  curl -s -o /dev/null -b "$jar" -F "files=@$f;type=image/png" "$base$project/files?_csrf=$csrf"
done
echo "uploaded: $(ls -l "$work"/*.png | awk '{s += $5} END {printf "%.1f MB in 9 PNGs", s / 1e6}')"
thumbs=$(curl -s -b "$jar" "$base$project/files" | grep -o 'src="/projects/[^"]*/thumbnail"' | sed 's/src="//; s/"$//' | sort -u)
echo "thumbnails on the page: $(echo "$thumbs" | grep -c thumbnail)"
echo "before:            $(rss)"
start=$(date +%s%N)
for _ in $(seq 8); do
  for t in $thumbs; do curl -s -o /dev/null -b "$jar" "$base$t" & done
done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
echo "after $(( $(echo "$thumbs" | grep -c thumbnail) * 8 )) requests ($(( ($(date +%s%N) - start) / 1000000 )) ms): $(rss)"
