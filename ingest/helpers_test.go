package ingest

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// makeVideo writes an H.264 MP4 of the ffmpeg test pattern, generated at
// test time, and returns its path. Extra args go before the output name.
func makeVideo(t testing.TB, name string, w, h int, fps int, seconds float64, extra ...string) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not installed: `make test` installs it")
	}
	out := filepath.Join(t.TempDir(), name)
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
		"-i", "testsrc=size=" + strconv.Itoa(w) + "x" + strconv.Itoa(h) + ":rate=" + strconv.Itoa(fps) +
			":duration=" + strconv.FormatFloat(seconds, 'f', -1, 64),
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", strconv.Itoa(fps / 2)}
	args = append(args, extra...)
	args = append(args, out)
	runFFmpeg(t, args...)
	return out
}

func runFFmpeg(t testing.TB, args ...string) {
	t.Helper()
	cmd := exec.Command("ffmpeg", args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
}

// statusLog records a source's state changes.
type statusLog struct {
	mu   sync.Mutex
	all  []Status
	cond chan struct{}
}

func newStatusLog() *statusLog { return &statusLog{cond: make(chan struct{}, 1)} }

func (l *statusLog) add(s Status) {
	l.mu.Lock()
	l.all = append(l.all, s)
	l.mu.Unlock()
	select {
	case l.cond <- struct{}{}:
	default:
	}
}

func (l *statusLog) snapshot() []Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Status(nil), l.all...)
}

// waitFor waits until a state st is recorded after index from, and returns
// it with its index.
func (l *statusLog) waitFor(t testing.TB, st State, from int, within time.Duration) (Status, int) {
	t.Helper()
	deadline := time.After(within)
	for {
		all := l.snapshot()
		for i := from; i < len(all); i++ {
			if all[i].State == st {
				return all[i], i
			}
		}
		select {
		case <-l.cond:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("state %s not reached within %s; states: %+v", st, within, all)
		}
	}
}

// drain reads a queue until it closes, closing each frame, and returns the
// frames' metadata.
func drain(q *Queue) []Frame {
	var out []Frame
	for {
		f, err := q.Get(context.Background())
		if err != nil {
			return out
		}
		f.Close()
		f.Mat = gocv.Mat{}
		out = append(out, f)
	}
}

// runSource runs a source for cfg until it stops (or ctx) and returns its
// frames, the error and the statuses.
func runSource(ctx context.Context, t testing.TB, cfg Config) ([]Frame, error, *statusLog) {
	t.Helper()
	q := NewQueue(cfg.QueueSize)
	src := NewSource(cfg, q, nil)
	log := newStatusLog()
	src.OnStatus = log.add
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx) }()
	frames := drain(q)
	return frames, <-errc, log
}
