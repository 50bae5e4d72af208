package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/activityd/activityd/internal/testenv"
)

// TestLoopTimeKeepsGoing loops an H.264 file made with x264's defaults (B
// frames, so the decoder flushes delayed frames at the end, for which OpenCV
// reports 0 ms): stream time must increase strictly across every loop, and
// each loop must be flagged once.
func TestLoopTimeKeepsGoing(t *testing.T) {
	video := testenv.Video(t, t.TempDir(), "loop.mp4", "160x120", 10, 2)
	q := NewQueue(64)
	src := NewSource(Config{ID: "loop", URL: video, FPS: 5, Loop: true, Realtime: false, QueueSize: 64,
		OpenTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second,
		BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second}, q, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
		q.Discard()
	}()

	const frames = 35 // 3.5 passes of 10 analysed frames
	var last time.Duration
	discs := 0
	for i := 0; i < frames; i++ {
		gctx, gcancel := context.WithTimeout(context.Background(), 20*time.Second)
		f, err := q.Get(gctx)
		gcancel()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.Discontinuity {
			discs++
		}
		if i > 0 && f.PTS <= last {
			t.Errorf("frame %d: stream time went from %v to %v", f.Seq, last, f.PTS)
		}
		last = f.PTS
		f.Close()
	}
	// The first frame, then one per loop: 3 loops in 35 frames.
	if discs != 4 {
		t.Errorf("%d discontinuities in %d frames over 3 loops, want 4", discs, frames)
	}
	if last < 6*time.Second {
		t.Errorf("stream time after 3 loops of a 2 s file is %v", last)
	}
}
