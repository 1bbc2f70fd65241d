#!/usr/bin/env bash
# A swap shared out over two ranks on this machine against the same swap on one process, in the same run: the
# offline engine on a 720p panning clip of the packaged group photo (60 frames at 25 fps, made with ffmpeg), one
# process with 2 threads against 2 ranks on loopback with 1 thread each. Prints both wall times (median of 3, from
# /usr/bin/time) and their ratio, below 1 when sharing out is faster. Across machines each rank adds its cores.
# Run: bench/sharded_swap.sh [build/dev/apps/watserface/watserface]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wf="${1:-$root/build/dev/apps/watserface/watserface}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home"

ffmpeg -loglevel error -loop 1 -i "$root/node_modules/@vladmandic/face-api/demo/sample3.jpg" \
  -framerate 25 -vf "scale=1920:-2,crop=1280:720:x='40+4*n':y=80" -frames:v 60 -c:v ffv1 "$work/clip.mkv"
"$wf" extract --target "$work/clip.mkv" --output "$work/target" >/dev/null
"$wf" extract --source /usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg --output "$work/source" >/dev/null

seconds() { /usr/bin/time -f %e -o "$work/time" "$@" >/dev/null && cat "$work/time"; }
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
swap() { echo swap --source "$work/source" --target "$work/target" --output "$work/$1.mp4"; }
one=() two=()
for run in 1 2 3; do
  one+=("$(seconds "$wf" --threads 2 $(swap one))")
  port=$((29500 + RANDOM % 1000))
  start=$(date +%s.%N)
  WORLD_SIZE=2 RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$wf" --threads 1 $(swap two) >/dev/null &
  WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$wf" --threads 1 $(swap two) >/dev/null
  wait
  two+=("$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')")
done
a=$(median "${one[@]}") b=$(median "${two[@]}")
awk -v a="$a" -v b="$b" 'BEGIN { printf "one process, 2 threads: %s s; 2 ranks, 1 thread each: %s s; ratio %.3f\n", a, b, b / a }'
