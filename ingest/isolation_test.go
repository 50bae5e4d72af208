package ingest

import (
	"context"
	"fmt"
	"net"
	"sort"
	"testing"
	"time"
)

// TestDeadStreamCostsHealthyNothing runs a file as fast as it decodes, alone
// and next to a dead stream (a silent server that is reopened every few
// milliseconds), and compares the analysed frame rates.
func TestDeadStreamCostsHealthyNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	video := makeVideo(t, "healthy.mp4", 320, 240, 30, 10)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()

	healthy := func() float64 {
		frames, err, _ := runSource(context.Background(), t, Config{ID: "ok", URL: video, FPS: 30, QueueSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		if len(frames) != 300 {
			t.Fatalf("%d frames, want 300", len(frames))
		}
		// The rate from the first analysed frame to the last: the open is
		// left out, because OpenCV serialises FFmpeg opens process-wide
		// (see docs/ingest.md).
		return float64(len(frames)-1) / frames[len(frames)-1].Captured.Sub(frames[0].Captured).Seconds()
	}
	withDead := func() float64 {
		ctx, cancel := context.WithCancel(context.Background())
		q := NewQueue(2)
		dead := NewSource(Config{ID: "dead", URL: fmt.Sprintf("rtsp://%s/x", l.Addr()), FPS: 5,
			OpenTimeout: 100 * time.Millisecond, ReadTimeout: 100 * time.Millisecond,
			BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond}, q, nil)
		done := make(chan struct{})
		go func() { _ = dead.Run(ctx); close(done) }()
		time.Sleep(200 * time.Millisecond) // the dead stream is cycling
		r := healthy()
		cancel()
		<-done
		drain(q)
		if dead.Reconnects() < 2 {
			t.Errorf("the dead stream retried only %d times", dead.Reconnects())
		}
		return r
	}
	// Interleave runs and keep the best of each, to be fair to a machine
	// shared with other work.
	var alone, together []float64
	for i := 0; i < 3; i++ {
		alone = append(alone, healthy())
		together = append(together, withDead())
	}
	sort.Float64s(alone)
	sort.Float64s(together)
	a, b := alone[len(alone)-1], together[len(together)-1]
	t.Logf("healthy stream: %.0f frames/s alone, %.0f frames/s next to a dead stream (ratio %.3f)", a, b, b/a)
	if b < 0.9*a {
		t.Errorf("healthy rate fell from %.0f to %.0f frames/s next to a dead stream", a, b)
	}
}
