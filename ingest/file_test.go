package ingest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileSampling30to5(t *testing.T) {
	path := makeVideo(t, "v30.mp4", 320, 240, 30, 4)
	frames, err, log := runSource(context.Background(), t, Config{ID: "f", URL: path, FPS: 5, QueueSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	// 4 s of stream time at 5 fps: ticks at 0, 0.2, ..., 3.8 s.
	if len(frames) != 20 {
		t.Fatalf("got %d analysed frames from 4 s at 5 fps, want 20", len(frames))
	}
	for i, f := range frames {
		if f.Seq != uint64(i+1) {
			t.Errorf("frame %d: seq %d", i, f.Seq)
		}
		want := time.Duration(i) * 200 * time.Millisecond
		if d := f.PTS - want; d < -time.Millisecond || d > 34*time.Millisecond {
			t.Errorf("frame %d: pts %v, want about %v", i, f.PTS, want)
		}
		if i == 0 {
			if !f.Discontinuity || f.Gap != 0 {
				t.Errorf("first frame: disc %v gap %v, want disc and no gap", f.Discontinuity, f.Gap)
			}
			continue
		}
		if f.Discontinuity {
			t.Errorf("frame %d flagged as a discontinuity", i)
		}
		if math.Abs(f.Gap.Seconds()-0.2) > 0.034 {
			t.Errorf("frame %d: gap %v, want 200ms", i, f.Gap)
		}
	}
	var seq []State
	for _, st := range log.snapshot() {
		seq = append(seq, st.State)
	}
	if fmt.Sprint(seq) != "[connecting online ended]" {
		t.Errorf("states %v, want connecting, online, ended", seq)
	}
	if last := log.snapshot()[len(seq)-1]; last.Reason == "" || last.Since.IsZero() || last.Stream != "f" {
		t.Errorf("last state %+v, want ended with a reason and a time", last)
	}
}

func TestFileTimestampJumpFlagged(t *testing.T) {
	// 4 s at 30 fps whose timestamps jump forward 10 s after frame 60.
	path := makeVideo(t, "jump.mp4", 160, 120, 30, 4,
		"-vf", "setpts='if(gte(N,60),PTS+10/TB,PTS)'", "-fps_mode", "passthrough")
	frames, err, _ := runSource(context.Background(), t, Config{ID: "j", URL: path, FPS: 5, QueueSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	var discs []time.Duration
	for _, f := range frames[1:] {
		if f.Discontinuity {
			discs = append(discs, f.PTS)
			if f.Gap != 0 {
				t.Errorf("discontinuity at %v carries gap %v", f.PTS, f.Gap)
			}
		}
	}
	if len(discs) != 1 || discs[0] < 11900*time.Millisecond || discs[0] > 12100*time.Millisecond {
		t.Fatalf("discontinuities at %v, want one at 12s", discs)
	}
}

func TestFileLoopAndRealtime(t *testing.T) {
	path := makeVideo(t, "loop.mp4", 160, 120, 30, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	start := time.Now()
	frames, err, log := runSource(ctx, t, Config{ID: "l", URL: path, FPS: 10, Loop: true, Realtime: true, QueueSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	// Paced at native speed: about 25 analysed frames in 2.5 s, with the
	// loops continuing stream time and flagged.
	if len(frames) < 20 || len(frames) > 27 {
		t.Fatalf("got %d frames in %v of real-time playback at 10 fps", len(frames), took)
	}
	var loops int
	for i, f := range frames {
		if i > 0 && f.Discontinuity {
			loops++
		}
		if i > 0 && f.PTS <= frames[i-1].PTS {
			t.Errorf("stream time went back at frame %d: %v after %v", i, f.PTS, frames[i-1].PTS)
		}
	}
	if loops < 1 {
		t.Errorf("no loop flagged in %d frames", len(frames))
	}
	for _, s := range log.snapshot() {
		if s.State == StateEnded {
			t.Errorf("a looping file reached %s", s.State)
		}
	}
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	good := makeVideo(t, "good.mp4", 160, 120, 30, 2)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.mp4")
	if err := os.WriteFile(truncated, data[:len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	random := filepath.Join(dir, "random.mp4")
	noise := make([]byte, 256<<10)
	for i := range noise {
		noise[i] = byte(i*7919 + i>>3)
	}
	if err := os.WriteFile(random, noise, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, url string
		want      error
		reason    string
	}{
		{"truncated file", truncated, ErrOpen, "not a video"},
		{"random bytes", random, ErrOpen, "not a video"},
		{"missing file", filepath.Join(dir, "nope.mp4"), ErrOpen, "no such file"},
		{"directory", dir, ErrOpen, "is a directory"},
		{"unknown scheme", "gopher://user:hunter2@127.0.0.1/x", ErrUnsupported, "unknown scheme"},
		{"bad device index", "device:x", ErrUnsupported, "device:N"},
		{"empty pipeline", "gst:", ErrUnsupported, "GStreamer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			frames, err, log := runSource(context.Background(), t, Config{ID: "bad", URL: c.url, FPS: 5, QueueSize: 2})
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if len(frames) != 0 {
				t.Errorf("%d frames from a bad source", len(frames))
			}
			states := log.snapshot()
			last := states[len(states)-1]
			if last.State != StateOffline || !strings.Contains(last.Reason, c.reason) {
				t.Errorf("last state %+v, want offline with %q", last, c.reason)
			}
			if strings.Contains(last.Reason, "hunter2") || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("password shown: %q / %v", last.Reason, err)
			}
		})
	}
}

func TestMissingDeviceRetries(t *testing.T) {
	// A camera that is not plugged in is a live source: offline with the
	// reason, retried until it appears (here: until the test stops it).
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	cfg := Config{ID: "cam", URL: "/dev/video97", FPS: 5, QueueSize: 2,
		BackoffMin: 50 * time.Millisecond, BackoffMax: 100 * time.Millisecond}
	q := NewQueue(2)
	src := NewSource(cfg, q, nil)
	log := newStatusLog()
	src.OnStatus = log.add
	if err := src.Run(ctx); err != nil {
		t.Fatalf("a live source returned %v; it should retry until cancelled", err)
	}
	st, _ := log.waitFor(t, StateOffline, 0, time.Second)
	if !strings.Contains(st.Reason, "no such device") {
		t.Errorf("reason %q", st.Reason)
	}
	if src.Reconnects() < 3 {
		t.Errorf("%d retries in 700ms with a 100ms backoff cap", src.Reconnects())
	}
}
