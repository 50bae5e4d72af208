package ingest

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// ffmpegOptionsEnv is read by OpenCV's FFmpeg backend when a capture opens:
// "key;value|key;value" options handed to avformat_open_input. Setting it
// replaces OpenCV's own default (rtsp_transport tcp), so every value we set
// names the transport.
const ffmpegOptionsEnv = "OPENCV_FFMPEG_CAPTURE_OPTIONS"

// envGate serialises FFmpeg opens that need different capture options. The
// variable is process-wide and read at some point inside the blocking open
// call, so it may only change while no open is in flight. Opens that need the
// same options (the usual case: every stream on the default transport and
// timeouts) share the gate and run concurrently; an open that needs other
// options waits until the in-flight ones return. setenv itself is never
// concurrent with an OpenCV open for the same reason.
//
// This is the one piece of package-level state: the environment it guards is
// itself process-wide.
var ffmpegGate = &envGate{}

type envGate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	current string
	set     bool
	users   int
}

// acquire waits until the variable can hold opts during an open, sets it
// and counts the caller in; release counts it out. An empty opts (a local
// file, whose open ignores these options) joins whatever is set and never
// waits, but is still counted so that the variable does not change under its
// getenv.
func (g *envGate) acquire(opts string) {
	g.mu.Lock()
	if g.cond == nil {
		g.cond = sync.NewCond(&g.mu)
	}
	for opts != "" && g.users > 0 && g.current != opts {
		g.cond.Wait()
	}
	if opts == "" && (g.users > 0 || g.set) {
		g.users++
		g.mu.Unlock()
		return
	}
	if opts == "" {
		opts = "rtsp_transport;tcp"
	}
	if !g.set || g.current != opts {
		_ = os.Setenv(ffmpegOptionsEnv, opts)
		g.current, g.set = opts, true
	}
	g.users++
	g.mu.Unlock()
}

func (g *envGate) release() {
	g.mu.Lock()
	g.users--
	if g.users == 0 && g.cond != nil {
		g.cond.Broadcast()
	}
	g.mu.Unlock()
}

// ffmpegOptions returns the capture options for a source: the RTSP transport
// always, and an FFmpeg socket timeout (microseconds) so that a blocked open
// or read returns by itself soon after the supervisor has given up on it.
// The timeout option has a different meaning per protocol (for RTMP
// "timeout" means listen mode), hence the per-kind keys.
func ffmpegOptions(k Kind, transport string, timeout time.Duration) string {
	if transport == "" {
		transport = "tcp"
	}
	us := timeout.Microseconds()
	if us <= 0 {
		us = DefaultOpenTimeout.Microseconds()
	}
	switch k {
	case KindRTSP:
		// FFmpeg probes a stream for up to 5 s of it; over RTSPS that took
		// 6.8 s of wall time here, past the default open timeout. Two
		// seconds still spans a camera's usual keyframe interval.
		return fmt.Sprintf("rtsp_transport;%s|timeout;%d|analyzeduration;2000000", transport, us)
	case KindHTTP:
		return fmt.Sprintf("rtsp_transport;%s|timeout;%d", transport, us)
	case KindRTMP:
		// FLV announces audio that a camera often never sends; FFmpeg then
		// probes for the full default 5 s. One second finds the video.
		return fmt.Sprintf("rtsp_transport;%s|rw_timeout;%d|analyzeduration;1000000", transport, us)
	}
	return "" // a file: any options do
}
