// Package ingest turns video sources into timestamped, sampled frames. A
// Source per stream (file, V4L2 camera, RTSP/RTSPS, HTTP MJPEG/HLS, RTMP or
// GStreamer pipeline) captures in its own goroutine under a supervisor that
// bounds every open and read, abandons a hung capture safely, and reconnects
// live sources forever with capped exponential backoff and jitter. Frames
// are sampled by presentation time to the stream's analysis rate and handed
// on through a bounded queue that drops the oldest frame rather than making
// capture wait for analysis. docs/ingest.md describes the behaviour.
package ingest
