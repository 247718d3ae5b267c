#!/usr/bin/env bash
# Open-to-first-picture, counted in pixels on the screen rather than in frames (on software
# renderers Bevy compiles pipelines in the background, so the first frames can be empty):
#   cargo build --release && xvfb-run -a -s "-screen 0 1600x940x24" bench/first-pixels.sh FILE
# Starts `locus open FILE`, grabs the screen every ~0.1 s and prints the seconds from the
# start to (1) the first picture with the panels and (2) the first picture with something
# drawn in the middle of the 3D view (the model). Needs ImageMagick's `import`.
set -euo pipefail
FILE=$1
LOCUS=${LOCUS:-$(dirname "$0")/../target/release/locus}
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
start=$(date +%s.%N)
"$LOCUS" open "$FILE" > "$WORK/log" 2>&1 &
PID=$!
panels="" model=""
background=""
for _ in $(seq 1 300); do
  now=$(date +%s.%N)
  import -window root "$WORK/s.png" 2> /dev/null || { sleep 0.1; continue; }
  top=$(convert "$WORK/s.png" -crop 200x20+0+0 -format "%[fx:standard_deviation]" info:)
  mid=$(convert "$WORK/s.png" -crop 200x200+700+370 -format "%[fx:standard_deviation]+%[fx:mean]" info:)
  if [ -z "$panels" ] && awk "BEGIN{exit !($top > 0.01)}"; then
    panels=$(echo "$now - $start" | bc)
    background=$mid
  fi
  if [ -n "$panels" ] && [ -z "$model" ] && [ "$mid" != "$background" ]; then
    model=$(echo "$now - $start" | bc)
    break
  fi
done
echo "panels on screen after ${panels:-never} s; model on screen after ${model:-never} s"
grep -a -E "opened .* in|surface index" "$WORK/log" | sed 's/\x1b\[[0-9;]*m//g; s/^.*INFO //' || true
