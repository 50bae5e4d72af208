package ingest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestGStreamer runs a real GStreamer pipeline through OpenCV's GStreamer
// backend, and a broken one.
func TestGStreamer(t *testing.T) {
	t.Run("pipeline", func(t *testing.T) {
		for _, p := range []string{"libgstvideotestsrc.so", "libgstapp.so", "libgstvideoconvertscale.so"} {
			if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/gstreamer-1.0/" + p); err != nil {
				t.Skip("GStreamer base plugins not installed (Debian: gstreamer1.0-plugins-base)")
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		frames, err, log := runSource(ctx, t, Config{ID: "gst", FPS: 10, QueueSize: 64,
			URL: "gst:videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! videoconvert ! appsink"})
		if err != nil {
			t.Fatal(err)
		}
		log.waitFor(t, StateOnline, 0, time.Second)
		// Live at 30 fps analysed at 10 fps for up to 2 s (less the open).
		if len(frames) < 8 || len(frames) > 21 {
			t.Errorf("%d analysed frames in 2s at 10 fps", len(frames))
		}
		// Ticks every 100 ms of wall time, frames every 33 ms: each gap is
		// the time since the previous analysed frame (a scheduling hiccup
		// on a loaded machine shows as a longer one), and they average
		// 100 ms.
		var sum time.Duration
		for i := 1; i < len(frames); i++ {
			g := frames[i].Gap
			sum += g
			if frames[i].Discontinuity || g != frames[i].PTS-frames[i-1].PTS || g < 50*time.Millisecond {
				t.Errorf("frame %d: gap %v, disc %v, pts step %v", i, g, frames[i].Discontinuity, frames[i].PTS-frames[i-1].PTS)
			}
		}
		if mean := sum / time.Duration(len(frames)-1); mean < 90*time.Millisecond || mean > 110*time.Millisecond {
			t.Errorf("mean gap %v, want 100ms", mean)
		}
	})
	t.Run("broken", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		frames, err, log := runSource(ctx, t, Config{ID: "gst", FPS: 5, QueueSize: 2,
			BackoffMin: 50 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
			URL: "gst:nosuchelement location=rtsp://u:pw@127.0.0.1/x ! appsink"})
		if err != nil || len(frames) != 0 {
			t.Fatalf("err %v, %d frames", err, len(frames))
		}
		st, _ := log.waitFor(t, StateOffline, 0, time.Second)
		if !strings.Contains(st.Reason, "GStreamer pipeline did not start") || strings.Contains(st.Reason, ":pw@") {
			t.Errorf("reason %q", st.Reason)
		}
	})
}
