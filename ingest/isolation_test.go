package ingest

import (
	"context"
	"fmt"
	"net"
	"sort"
	"testing"
	"time"
)

// deadServer is a TCP listener on 127.0.0.1 that accepts and never answers.
func deadServer(t *testing.T) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 1024)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			select {
			case held <- c:
			default:
				c.Close()
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		close(held)
		for c := range held {
			c.Close()
		}
	})
	return l
}

// startDead runs a source on a dead server that is reopened every few
// milliseconds, and returns a function that stops it.
func startDead(t *testing.T, l net.Listener, backoff time.Duration) func() {
	ctx, cancel := context.WithCancel(context.Background())
	q := NewQueue(2)
	dead := NewSource(Config{ID: "dead", URL: fmt.Sprintf("rtsp://%s/x", l.Addr()), FPS: 5,
		OpenTimeout: 100 * time.Millisecond, ReadTimeout: 100 * time.Millisecond,
		BackoffMin: backoff, BackoffMax: 2 * backoff}, q, nil)
	done := make(chan struct{})
	go func() { _ = dead.Run(ctx); close(done) }()
	time.Sleep(400 * time.Millisecond) // the dead stream is cycling
	return func() {
		cancel()
		<-done
		drain(q)
		if dead.Reconnects() < 1 {
			t.Errorf("the dead stream retried only %d times", dead.Reconnects())
		}
	}
}

// analysedRate is the rate from the first analysed frame to the last.
func analysedRate(frames []Frame) float64 {
	return float64(len(frames)-1) / frames[len(frames)-1].Captured.Sub(frames[0].Captured).Seconds()
}

// TestDeadStreamCostsHealthyNothing runs a healthy stream alone and next to
// a dead one (a silent server, reopened every 50-100 ms) and compares the
// healthy stream's analysed frame rate: a live-paced stream (a looping file
// at native speed, analysed at 10 fps) must stay within 10%. The batch
// throughput of a file read as fast as it decodes is measured too; it uses
// both cores, so it is only checked for gross interference.
func TestDeadStreamCostsHealthyNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	l := deadServer(t)

	t.Run("live", func(t *testing.T) {
		video := makeVideo(t, "live.mp4", 320, 240, 30, 2)
		healthy := func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			frames, err, _ := runSource(ctx, t, Config{ID: "ok", URL: video, FPS: 10, Loop: true, Realtime: true, QueueSize: 4})
			if err != nil || len(frames) < 20 {
				t.Fatalf("%d frames, err %v", len(frames), err)
			}
			return analysedRate(frames)
		}
		alone := healthy()
		stop := startDead(t, l, 50*time.Millisecond)
		together := healthy()
		stop()
		t.Logf("live healthy stream: %.2f analysed frames/s alone, %.2f next to a dead stream (ratio %.3f)", alone, together, together/alone)
		if together < 0.9*alone || together > 1.1*alone {
			t.Errorf("analysed rate %.2f next to a dead stream, %.2f alone: more than 10%% apart", together, alone)
		}
	})

	t.Run("batch", func(t *testing.T) {
		video := makeVideo(t, "batch.mp4", 320, 240, 30, 10)
		healthy := func() float64 {
			frames, err, _ := runSource(context.Background(), t, Config{ID: "ok", URL: video, FPS: 30, QueueSize: 4})
			if err != nil || len(frames) != 300 {
				t.Fatalf("%d frames, want 300; err %v", len(frames), err)
			}
			// The open is left out: OpenCV serialises FFmpeg opens
			// process-wide (docs/ingest.md).
			return analysedRate(frames)
		}
		var alone, together []float64
		for i := 0; i < 3; i++ { // interleaved, best of each: the machine is shared
			alone = append(alone, healthy())
			stop := startDead(t, l, 50*time.Millisecond)
			together = append(together, healthy())
			stop()
		}
		sort.Float64s(alone)
		sort.Float64s(together)
		a, b := alone[2], together[2]
		t.Logf("batch healthy stream: %.0f frames/s alone, %.0f next to a dead stream (ratio %.3f)", a, b, b/a)
		if b < 0.5*a {
			t.Errorf("batch rate fell from %.0f to %.0f frames/s next to a dead stream", a, b)
		}
	})
}
