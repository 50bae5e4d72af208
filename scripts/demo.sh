#!/usr/bin/env bash
# `make demo`: runs activityd on a demo video with the embedded NATS server
# and shows the labels as they stream, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p var/demo
video=var/demo/demo.mp4
if [ ! -s "$video" ]; then
	echo "making the demo video ($video)"
	ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=320x240:rate=25" -t 20 \
		-c:v libx264 -pix_fmt yuv420p "$video"
fi

log=var/demo/activityd.log
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
for _ in $(seq 1 100); do
	if grep -q '"activityd started"' "$log" 2>/dev/null; then break; fi
	if ! kill -0 "$daemon" 2>/dev/null; then
		echo "activityd failed to start:" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "activityd is running: stream 'demo' from $video, embedded NATS on 127.0.0.1:4222"
echo "raw messages from another terminal:  nats sub -s nats://127.0.0.1:4222 'activity.>'"
echo "metrics: curl -s 127.0.0.1:9650/metrics   health: curl -s 127.0.0.1:9650/readyz"
echo "Ctrl-C stops everything."
echo
bin/activityctl tail -server nats://127.0.0.1:4222 || true
