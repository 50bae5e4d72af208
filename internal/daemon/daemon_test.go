package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/activityd/activityd/internal/config"
	"github.com/activityd/activityd/internal/testenv"
	"github.com/activityd/activityd/publisher"
)

// TestRunAndStopLeavesNoGoroutines runs the whole daemon in-process on a
// file, reads its labels, cancels it and checks that nothing it started is
// still running.
func TestRunAndStopLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	video := testenv.Video(t, dir, "v.mp4", "160x120", 10, 1)

	natsAddr := testenv.FreeAddr(t)
	cfg, err := config.Parse([]byte(fmt.Sprintf(
		"streams:\n  - {id: leak, url: %q, fps: 5, loop: true}\nnats: {listen: %q}\nhttp: {listen: \"127.0.0.1:0\"}\nstate_dir: %q\n",
		video, natsAddr, filepath.Join(dir, "state"))))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, zaptest.NewLogger(t)) }()

	nc, err := nats.Connect("nats://"+natsAddr, nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(50*time.Millisecond), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := nc.SubscribeSync("activity.leak.frame")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		m, err := sub.NextMsg(20 * time.Second)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		var f publisher.FrameMsg
		if err := json.Unmarshal(m.Data, &f); err != nil || f.Stream != "leak" {
			t.Fatalf("bad frame message %s: %v", m.Data, err)
		}
	}
	nc.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return 20s after cancel")
	}
}
