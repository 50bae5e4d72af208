package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/activityd/activityd/publisher"
)

// syncBuf is a bytes.Buffer safe for one writer and one reader.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTail runs `activityctl tail` against a real nats-server, publishes
// the daemon's message kinds for two streams and checks what it prints
// with --stream, --events and --json.
func TestTail(t *testing.T) {
	srv, err := publisher.StartEmbedded(publisher.EmbeddedConfig{Listen: "127.0.0.1:0", StoreDir: t.TempDir()}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	end := now.Add(3 * time.Second)
	endPTS := 13.0
	msgs := map[string]any{
		"activity.cam1.frame": publisher.FrameMsg{Stream: "cam1", Seq: 7, TS: now, PTS: 1.4, Label: "walk", Score: 0.8,
			TopK: []publisher.Scored{{Label: "walk", Score: 0.8}, {Label: "run", Score: 0.1}}, Model: "m"},
		"activity.cam2.frame": publisher.FrameMsg{Stream: "cam2", Seq: 1, TS: now, Label: "sit", Score: 0.7,
			TopK: []publisher.Scored{{Label: "sit", Score: 0.7}}, Model: "m"},
		"activity.cam1.clip": publisher.ClipMsg{Stream: "cam1", Seq: 2, StartTS: now, EndTS: end, Frames: 10,
			Label: "walk", Score: 0.75, TopK: []publisher.Scored{{Label: "walk", Score: 0.75}}, Model: "m"},
		"activity.cam1.event": publisher.EventMsg{ID: "ev1", Type: "end", Stream: "cam1", Label: "walk", Score: 0.7,
			StartTS: now, EndTS: &end, EndPTS: &endPTS, DurationS: 3, Reason: "changed", Model: "m"},
		"activity.cam1.status": publisher.StatusMsg{Stream: "cam1", State: "reconnecting", Reason: "read timeout", Since: now},
	}
	run := func(args ...string) string {
		var out, errOut syncBuf
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- tail(ctx, append([]string{"--server", srv.ClientURL()}, args...), &out, &errOut) }()
		for !strings.Contains(errOut.String(), "listening") {
			time.Sleep(10 * time.Millisecond)
		}
		// Subscriptions are registered once the server has seen them.
		time.Sleep(100 * time.Millisecond)
		for subj, v := range msgs {
			data, _ := json.Marshal(v)
			if err := nc.Publish(subj, data); err != nil {
				t.Fatal(err)
			}
		}
		_ = nc.Flush()
		time.Sleep(300 * time.Millisecond)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(errOut.String(), "nats sub -s ") {
			t.Errorf("no nats sub command shown: %s", errOut.String())
		}
		return out.String()
	}

	out := run("--stream", "cam1")
	for _, want := range []string{"cam1         frame #7", "walk", "run 0.10", "clip  #2", "(10 frames)",
		"EVENT end", "(changed)", "id=ev1", "state reconnecting: read timeout"} {
		if !strings.Contains(out, want) {
			t.Errorf("--stream cam1 output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "cam2") {
		t.Errorf("--stream cam1 printed cam2:\n%s", out)
	}
	out = run("--events", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || strings.Contains(out, `"pts_s"`) || !strings.Contains(out, `"id":"ev1"`) {
		t.Errorf("--events --json printed:\n%s", out)
	}
	out = run()
	if !strings.Contains(out, "cam2") || strings.Count(out, "\n") != 5 {
		t.Errorf("all streams printed:\n%s", out)
	}
	var help, errOut syncBuf
	if err := tail(context.Background(), []string{"-h"}, &help, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "nats sub -s nats://127.0.0.1:4222 'activity.>'") {
		t.Errorf("--help lacks the nats sub command:\n%s", errOut.String())
	}
	if err := tail(context.Background(), []string{"--stream", "a.b"}, &help, &errOut); err == nil {
		t.Error("--stream a.b accepted")
	}
}
