#!/usr/bin/env bash
# Verify throughput on a ~1 GB package versus sha256sum on the same members, same run.
#   cargo build --release && bench/verify-throughput.sh [SIZE_MB]
# Makes a case in a temporary folder with incompressible "video" attachments, seals it,
# then times `locus verify` (reads the zip, hashes every member, checks signature and audit
# chain) against `sha256sum` over the same files on disk. Prints the ratio.
set -euo pipefail
SIZE_MB=${1:-1024}
LOCUS=${LOCUS:-$(dirname "$0")/../target/release/locus}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CASE="$WORK/case"
mkdir -p "$CASE/evidence"
parts=4
per=$((SIZE_MB / parts))
attachments=""
for i in $(seq 1 $parts); do
  f="evidence/clip$i.mp4"
  head -c $((per * 1024 * 1024)) /dev/urandom > "$CASE/$f"
  sha=$(sha256sum "$CASE/$f" | cut -d' ' -f1)
  size=$(stat -c %s "$CASE/$f")
  attachments="$attachments{\"path\": \"$f\", \"original_name\": \"clip$i.mp4\", \"size_bytes\": $size, \"sha256\": \"$sha\"},"
done
attachments=${attachments%,}
cat > "$CASE/case.json" <<JSON
{"format_version": 1, "title": "throughput", "origin": {"lat_deg": 52, "lon_deg": 5, "height_m": 0},
 "display_time_zone": "UTC",
 "evidence": [{"id": "V1", "title": "clips", "category": "video",
   "position": {"location": {"frame": "enu", "east_m": 0, "north_m": 0}},
   "attachments": [$attachments]}]}
JSON
"$LOCUS" keygen --out "$WORK/k" > /dev/null
t0=$(date +%s.%N)
"$LOCUS" export "$CASE" --out "$WORK/p.locus" --key "$WORK/k" --time 2026-01-01T00:00:00Z > /dev/null
t1=$(date +%s.%N)
sync
t2=$(date +%s.%N)
"$LOCUS" verify "$WORK/p.locus" --pubkey "$WORK/k.pub" > /dev/null
t3=$(date +%s.%N)
(cd "$CASE" && sha256sum case.json evidence/*.mp4 > /dev/null)
t4=$(date +%s.%N)
python3 - "$t0" "$t1" "$t2" "$t3" "$t4" "$SIZE_MB" <<'PY'
import sys
t0, t1, t2, t3, t4, mb = map(float, sys.argv[1:])
export, verify, sha = t1 - t0, t3 - t2, t4 - t3
print(f"| package | export | locus verify | sha256sum (same files) | verify / sha256sum |")
print(f"|---:|---:|---:|---:|---:|")
print(f"| {mb:.0f} MiB | {export:.2f} s | {verify:.2f} s ({mb/verify:.0f} MiB/s) | {sha:.2f} s ({mb/sha:.0f} MiB/s) | {verify/sha:.2f} |")
PY
