package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/activityd/activityd/internal/config"
	"github.com/activityd/activityd/internal/testenv"
	"github.com/activityd/activityd/publisher"
)

// TestStateAcrossRestarts stops and starts the daemon on the same looping
// file. The first frame after a start is always the file's first frame, so
// its scores show whether the hidden state started from zero (a fresh
// start, or a snapshot too old or of another source) or from the state
// saved at the last stop.
func TestStateAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	video := testenv.Video(t, dir, "v.mp4", "160x120", 10, 2)
	other := testenv.Video(t, dir, "w.mp4", "160x120", 10, 2)
	state := filepath.Join(dir, "state")
	// The test's own server, so that each run's subscription is in place
	// before the daemon publishes its first frame.
	srv, err := publisher.StartEmbedded(publisher.EmbeddedConfig{Listen: "127.0.0.1:0", StoreDir: filepath.Join(dir, "js")},
		zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	// run starts the daemon, returns the first frame's scores once `frames`
	// frames have come, and stops it.
	run := func(url, maxAge string, frames int) ([]publisher.Scored, *observer.ObservedLogs) {
		t.Helper()
		cfg, err := config.Parse([]byte(fmt.Sprintf(
			"streams:\n  - {id: s, url: %q, fps: 5, loop: true}\nnats: {url: %q}\nhttp: {listen: \"\"}\npipeline: {snapshot_max_age: %s}\nstate_dir: %q\n",
			url, srv.ClientURL(), maxAge, state)))
		if err != nil {
			t.Fatal(err)
		}
		nc, err := nats.Connect(srv.ClientURL())
		if err != nil {
			t.Fatal(err)
		}
		sub, err := nc.SubscribeSync("activity.s.frame")
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		core, logs := observer.New(zapcore.InfoLevel)
		d := start(t, cfg, zap.New(core), Options{})
		var first []publisher.Scored
		for i := 0; i < frames; i++ {
			m, err := sub.NextMsg(20 * time.Second)
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			var f publisher.FrameMsg
			if err := json.Unmarshal(m.Data, &f); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if f.Seq != 1 {
					t.Fatalf("first frame received has seq %d", f.Seq)
				}
				first = f.TopK
			}
		}
		nc.Close()
		d.stop(t)
		return first, logs
	}
	same := func(a, b []publisher.Scored) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i].Label != b[i].Label || a[i].Score != b[i].Score {
				return false
			}
		}
		return true
	}

	fresh, _ := run(video, "5m", 8)
	if _, err := os.Stat(filepath.Join(state, "snapshots", "s.json")); err != nil {
		t.Fatalf("no snapshot written at stop: %v", err)
	}
	restored, logs := run(video, "5m", 3)
	if logs.FilterMessage("hidden state restored").Len() != 1 {
		t.Errorf("no 'hidden state restored' log line")
	}
	if same(fresh, restored) {
		t.Errorf("first frame scored as from a zero state after a restore: %v", restored)
	}

	// A snapshot older than snapshot_max_age is not used.
	time.Sleep(20 * time.Millisecond)
	old, logs := run(video, "10ms", 3)
	if logs.FilterMessage("hidden state not restored").Len() != 1 {
		t.Errorf("a stale snapshot was not reported")
	}
	if !same(fresh, old) {
		t.Errorf("a stale snapshot changed the first frame: %v vs %v", old, fresh)
	}

	// A snapshot of another source is not used.
	_, _ = run(video, "5m", 3)
	_, logs = run(other, "5m", 3)
	if logs.FilterMessage("hidden state restored").Len() != 0 {
		t.Errorf("a snapshot of another source was restored")
	}
}
