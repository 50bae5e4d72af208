package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/activityd/activityd/features/modelstore"
	"github.com/activityd/activityd/internal/config"
	"github.com/activityd/activityd/internal/daemon"
	"github.com/activityd/activityd/internal/testenv"
	"github.com/activityd/activityd/publisher"
	"github.com/activityd/activityd/synth"
)

// Issue 7's targets, asserted as they are: at least 90 % of the frames
// right (1 s after each change left out) and, for every scripted segment,
// an event of its label that starts and ends within 1 s of it. Measured
// with the committed model (docs/default-model.md): 97 % of frames (136 of
// 140) and 12 of 12 segments, the largest error 0.89 s.
const (
	minFrameAccuracy = 0.90
	settle           = 1.0 // seconds after each change whose frames are not scored
	maxEventError    = 1.0 // seconds between an event's start or end and the script's
	minEventMatch    = 1.0 // the share of segments that must have such an event
)

// repoRoot is the repository root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// collected is what the daemon published for the stream under test.
type collected struct {
	mu     sync.Mutex
	frames []publisher.FrameMsg
	events []publisher.EventMsg
	ended  chan struct{}
	once   sync.Once
}

// TestDefaultModelOnScriptedVideo runs the daemon, configured as `make demo`
// runs it (configs/demo.yaml), with the committed default model on a
// scripted video it never saw, and checks its frame labels and events
// against the script.
func TestDefaultModelOnScriptedVideo(t *testing.T) {
	root := repoRoot(t)
	modelPath := filepath.Join(root, "models", "default", "model.safetensors")
	if _, err := os.Stat(modelPath); err != nil {
		t.Fatalf("the default model is missing (%v): it is committed under models/default; `make default-model` trains it again", err)
	}
	if _, err := modelstore.Find(modelstore.SearchDirs(""), modelstore.MobileNetV2); err != nil {
		t.Fatalf("the MobileNetV2 backbone is not installed (%v): run `make models` (or `activityctl models fetch`); `make test` does it first", err)
	}

	// A scripted video the model was not trained on (training used seeds
	// 102 and 112), at the training data's size and rate.
	dir := t.TempDir()
	const name = "e2e.mp4"
	video := filepath.Join(dir, name)
	segs, err := synth.WriteScripted(video, synth.Options{Width: 160, Height: 120, FPS: 10, Seconds: 40, Seed: 2027, Plain: true})
	if err != nil {
		t.Fatal(err)
	}

	// The demo's configuration (model, backbone, feature mode, events) with
	// no streams, a free port and a private state folder.
	cfg, err := config.Load(filepath.Join(root, "configs", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	natsAddr := testenv.FreeAddr(t)
	cfg.Streams = nil
	cfg.Model.Classifier = modelPath
	cfg.NATS.Listen = natsAddr
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.StateDir = filepath.Join(dir, "state")
	cfg.Log.Format = "json"

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- daemon.Run(ctx, cfg, zaptest.NewLogger(t, zaptest.Level(zapcore.WarnLevel))) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("daemon.Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the daemon did not stop within 30 s")
		}
	}()

	nc, err := nats.Connect("nats://"+natsAddr, nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(50*time.Millisecond), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	got := &collected{ended: make(chan struct{})}
	subscribe(t, nc, got)

	// Add the stream only once we listen, so no message is missed; read
	// the file as fast as the model goes (no frame is dropped).
	off := false
	add, _ := json.Marshal(publisher.AddStreamRequest{ID: "e2e", URL: video, FPS: 5, Realtime: &off})
	var reply *nats.Msg
	for start := time.Now(); ; {
		reply, err = nc.Request("activity.ctl.streams.add", add, 2*time.Second)
		if err == nil || time.Since(start) > 60*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("streams.add: %v", err)
	}
	if !strings.Contains(string(reply.Data), `"ok":true`) {
		t.Fatalf("streams.add: %s", reply.Data)
	}

	select {
	case <-got.ended:
	case <-time.After(90 * time.Second):
		t.Fatal("the stream did not end within 90 s")
	}
	// The open event is ended when the source ends; give it a moment.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && openEvents(got) > 0 {
		time.Sleep(50 * time.Millisecond)
	}
	checkFrames(t, got, segs, name)
	checkEvents(t, got, segs)
	checkSourceEnd(t, got)
}

// checkSourceEnd wants the events open when the file ends to end with its
// last analysed frame, not before: frames still queued when the source
// reports its end are analysed first, and no event starts after it.
func checkSourceEnd(t *testing.T, got *collected) {
	t.Helper()
	got.mu.Lock()
	defer got.mu.Unlock()
	if len(got.frames) == 0 {
		return
	}
	last := got.frames[0].PTS
	for _, f := range got.frames {
		last = math.Max(last, f.PTS)
	}
	lost := 0
	for _, e := range got.events {
		if e.Type != publisher.EventEnd || e.Reason != "source_lost" {
			continue
		}
		lost++
		if e.EndPTS == nil {
			t.Errorf("event %s (%s from %.2f s) ended as source_lost without an end time", e.ID, e.Label, e.StartPTS)
		} else if *e.EndPTS < last-1e-6 {
			t.Errorf("event %s (%s from %.2f s) ended as source_lost at %.2f s, before the last frame at %.2f s", e.ID, e.Label, e.StartPTS, *e.EndPTS, last)
		}
	}
	if lost > 1 {
		t.Errorf("%d events ended as source_lost, want at most 1 (one stream, one end)", lost)
	}
}

func subscribe(t *testing.T, nc *nats.Conn, got *collected) {
	t.Helper()
	handlers := map[string]nats.MsgHandler{
		"activity.e2e.frame": func(m *nats.Msg) {
			var f publisher.FrameMsg
			if err := json.Unmarshal(m.Data, &f); err == nil {
				got.mu.Lock()
				got.frames = append(got.frames, f)
				got.mu.Unlock()
			}
		},
		"activity.e2e.event": func(m *nats.Msg) {
			var e publisher.EventMsg
			if err := json.Unmarshal(m.Data, &e); err == nil {
				got.mu.Lock()
				got.events = append(got.events, e)
				got.mu.Unlock()
			}
		},
		"activity.e2e.status": func(m *nats.Msg) {
			var st publisher.StatusMsg
			if err := json.Unmarshal(m.Data, &st); err == nil && st.State == "ended" {
				got.once.Do(func() { close(got.ended) })
			}
		},
	}
	for subj, h := range handlers {
		if _, err := nc.Subscribe(subj, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		// Not connected yet: the subscriptions are sent on connect.
		t.Logf("flush: %v", err)
	}
}

func openEvents(got *collected) int {
	got.mu.Lock()
	defer got.mu.Unlock()
	open := map[string]bool{}
	for _, e := range got.events {
		switch e.Type {
		case publisher.EventStart:
			open[e.ID] = true
		case publisher.EventEnd:
			delete(open, e.ID)
		}
	}
	return len(open)
}

// checkFrames compares every frame label with the script, leaving out the
// frames less than settle seconds after a change.
func checkFrames(t *testing.T, got *collected, segs []synth.Segment, name string) {
	t.Helper()
	got.mu.Lock()
	defer got.mu.Unlock()
	last := segs[len(segs)-1].End
	want := int(math.Floor(last*5 + 1e-9))
	if len(got.frames) < want-1 {
		t.Errorf("%d frame messages for a %.0f s video at 5 fps, want about %d", len(got.frames), last, want)
	}
	right, n := 0, 0
	var wrong []string
	for _, f := range got.frames {
		for _, s := range segs {
			if !s.Contains(f.PTS) || f.PTS-s.Start < settle {
				continue
			}
			n++
			if f.Label == s.Label {
				right++
			} else if len(wrong) < 20 {
				wrong = append(wrong, fmt.Sprintf("t=%.1f %s (truth %s)", f.PTS, f.Label, s.Label))
			}
		}
	}
	if n == 0 {
		t.Fatal("no frame was scored")
	}
	acc := float64(right) / float64(n)
	t.Logf("per-frame accuracy %.3f (%d/%d frames, %.0f s after each change left out)", acc, right, n, settle)
	if acc < minFrameAccuracy {
		t.Errorf("per-frame accuracy %.3f < %.2f; wrong: %s", acc, minFrameAccuracy, strings.Join(wrong, ", "))
	}
}

// checkEvents wants, for every scripted segment, an event of its label
// that starts and ends within maxEventError of the segment.
func checkEvents(t *testing.T, got *collected, segs []synth.Segment) {
	t.Helper()
	got.mu.Lock()
	defer got.mu.Unlock()
	type span struct {
		label      string
		start, end float64
	}
	var spans []span
	for _, e := range got.events {
		if e.Type == publisher.EventEnd {
			end := e.StartPTS + e.DurationS
			if e.EndPTS != nil {
				end = *e.EndPTS
			}
			spans = append(spans, span{e.Label, e.StartPTS, end})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var all []string
	for _, s := range spans {
		all = append(all, fmt.Sprintf("%s %.2f-%.2f", s.label, s.start, s.end))
	}
	var matched int
	var startErrs, endErrs []float64
	for _, sg := range segs {
		best := -1
		bestErr := math.Inf(1)
		for i, s := range spans {
			if s.label != sg.Label {
				continue
			}
			if e := math.Max(math.Abs(s.start-sg.Start), math.Abs(s.end-sg.End)); e < bestErr {
				best, bestErr = i, e
			}
		}
		if best < 0 || bestErr > maxEventError {
			t.Logf("segment %-10s %6.2f-%6.2f  no event within %.1f s", sg.Label, sg.Start, sg.End, maxEventError)
			continue
		}
		matched++
		s := spans[best]
		startErrs, endErrs = append(startErrs, s.start-sg.Start), append(endErrs, s.end-sg.End)
		t.Logf("segment %-10s %6.2f-%6.2f  event %6.2f-%6.2f  (start %+.2f s, end %+.2f s)",
			sg.Label, sg.Start, sg.End, s.start, s.end, s.start-sg.Start, s.end-sg.End)
	}
	frac := float64(matched) / float64(len(segs))
	t.Logf("%d of %d segments have an event starting and ending within %.0f s; mean |start error| %.2f s, mean |end error| %.2f s; %d events in all",
		matched, len(segs), maxEventError, meanAbs(startErrs), meanAbs(endErrs), len(spans))
	if frac < minEventMatch {
		t.Errorf("%d of %d segments matched by an event, want at least %.0f%%; events: %s", matched, len(segs), 100*minEventMatch, strings.Join(all, ", "))
	}
	for _, s := range spans {
		if s.end < s.start {
			t.Errorf("event %s ends (%.2f) before it starts (%.2f)", s.label, s.end, s.start)
		}
	}
}

func meanAbs(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += math.Abs(x)
	}
	return s / math.Max(float64(len(v)), 1)
}
