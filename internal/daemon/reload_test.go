package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/internal/config"
	"github.com/activityd/activityd/internal/testenv"
	"github.com/activityd/activityd/publisher"
	"github.com/activityd/activityd/rnn"
)

// collector keeps what the daemon publishes, by stream.
type collector struct {
	mu     sync.Mutex
	frames map[string][]publisher.FrameMsg
	status map[string][]publisher.StatusMsg
	events []publisher.EventMsg
}

func (c *collector) add(m *nats.Msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case strings.HasSuffix(m.Subject, ".frame"):
		var f publisher.FrameMsg
		if json.Unmarshal(m.Data, &f) == nil {
			c.frames[f.Stream] = append(c.frames[f.Stream], f)
		}
	case strings.HasSuffix(m.Subject, ".status"):
		var s publisher.StatusMsg
		if json.Unmarshal(m.Data, &s) == nil {
			c.status[s.Stream] = append(c.status[s.Stream], s)
		}
	case strings.HasSuffix(m.Subject, ".event"):
		var e publisher.EventMsg
		if json.Unmarshal(m.Data, &e) == nil {
			c.events = append(c.events, e)
		}
	}
}

func (c *collector) nFrames(stream string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.frames[stream])
}

func (c *collector) framesOf(stream string) []publisher.FrameMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]publisher.FrameMsg(nil), c.frames[stream]...)
}

func (c *collector) statusesOf(stream string) []publisher.StatusMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]publisher.StatusMsg(nil), c.status[stream]...)
}

func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReload runs the daemon on a configuration file, edits the file and
// reloads: an unchanged stream keeps running with its state (no restart,
// no gap in seq), a removed one stops with reason removed, an added one
// starts; an invalid file is refused and the running configuration stays; a
// new classifier file is swapped in, and a corrupt one is refused.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	video := testenv.Video(t, dir, "v.mp4", "160x120", 10, 2)
	natsAddr := testenv.FreeAddr(t)
	cfgPath := filepath.Join(dir, "activityd.yaml")
	writeCfg := func(streams, model string) {
		body := fmt.Sprintf("streams:\n%s\nmodel:\n  backbone: descriptor\n%s\nnats: {listen: %q}\nhttp: {listen: \"\"}\nstate_dir: %q\n",
			streams, model, natsAddr, filepath.Join(dir, "state"))
		if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stream := func(id string) string { return fmt.Sprintf("  - {id: %s, url: %q, fps: 5, loop: true}", id, video) }
	writeCfg(stream("keep")+"\n"+stream("drop"), "")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}

	core, logs := observer.New(zapcore.InfoLevel)
	reload := make(chan struct{})
	d := start(t, cfg, zap.New(core), Options{Reload: reload,
		Load: func() (config.Config, error) { return config.Load(cfgPath) }})
	defer d.stop(t)

	c := &collector{frames: map[string][]publisher.FrameMsg{}, status: map[string][]publisher.StatusMsg{}}
	nc, err := nats.Connect("nats://"+natsAddr, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Subscribe("activity.>", c.add); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "frames from both streams", 30*time.Second, func() bool { return c.nFrames("keep") >= 5 && c.nFrames("drop") >= 3 })
	keepStatuses := len(c.statusesOf("keep"))
	sendReload := func() {
		select {
		case reload <- struct{}{}:
		case <-time.After(10 * time.Second):
			t.Fatal("reload not taken")
		}
	}
	logged := func(msg string) func() bool {
		return func() bool { return logs.FilterMessage(msg).Len() > 0 }
	}

	// 1. Streams: drop removed, fresh added, keep unchanged.
	writeCfg(stream("keep")+"\n"+stream("fresh"), "")
	sendReload()
	waitFor(t, "the added stream's frames", 30*time.Second, func() bool { return c.nFrames("fresh") >= 3 })
	waitFor(t, "the removed stream's status", 10*time.Second, func() bool {
		st := c.statusesOf("drop")
		return len(st) > 0 && st[len(st)-1].State == "offline" && st[len(st)-1].Reason == "removed"
	})
	n := c.nFrames("drop")
	before := c.nFrames("keep")
	waitFor(t, "more frames of the kept stream", 20*time.Second, func() bool { return c.nFrames("keep") >= before+5 })
	if got := c.nFrames("drop"); got != n {
		t.Errorf("the removed stream published %d frames after its removal", got-n)
	}

	// 2. An invalid file is refused; everything keeps running.
	if err := os.WriteFile(cfgPath, []byte("streams:\n  - {id: keep, url: x, colour: red}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sendReload()
	waitFor(t, "the refusal", 10*time.Second, logged("reload refused: invalid configuration; the running one stays"))
	before = c.nFrames("keep")
	waitFor(t, "frames after the refused reload", 20*time.Second, func() bool {
		return c.nFrames("keep") >= before+3 && c.nFrames("fresh") > 3
	})

	// The kept stream ran through both reloads untouched: no new source
	// state (it was never restarted) and not one seq skipped.
	if got := len(c.statusesOf("keep")); got != keepStatuses {
		t.Errorf("the unchanged stream published %d more states: it was restarted", got-keepStatuses)
	}
	frames := c.framesOf("keep")
	for i := 1; i < len(frames); i++ {
		if frames[i].Seq != frames[i-1].Seq+1 {
			t.Fatalf("the unchanged stream's seq went %d -> %d", frames[i-1].Seq, frames[i].Seq)
		}
	}

	// 3. A corrupt classifier file is refused; the old model keeps serving.
	bad := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(bad, []byte("not a model"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeCfg(stream("keep")+"\n"+stream("fresh"), fmt.Sprintf("  classifier: %q", bad))
	sendReload()
	waitFor(t, "the model refusal", 10*time.Second, logged("reload: new model refused; the old one keeps serving"))
	before = c.nFrames("keep")
	waitFor(t, "frames after the refused model", 20*time.Second, func() bool { return c.nFrames("keep") >= before+3 })
	if f := c.framesOf("keep"); f[len(f)-1].Model != "untrained-gru" {
		t.Errorf("model after a refused swap = %q", f[len(f)-1].Model)
	}

	// 4. A good classifier file is swapped in.
	m := rnn.NewRandom(rnn.CellLSTM, features.DescriptorDim, 16, 1, []string{"a", "b", "c"}, 7)
	m.Backbone = features.DescriptorName
	good := filepath.Join(dir, "swapped.safetensors")
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	writeCfg(stream("keep")+"\n"+stream("fresh"), fmt.Sprintf("  classifier: %q", good))
	sendReload()
	waitFor(t, "frames from the new model", 30*time.Second, func() bool {
		f := c.framesOf("keep")
		return len(f) > 0 && f[len(f)-1].Model == "swapped"
	})
	if f := c.framesOf("fresh"); len(f) == 0 {
		t.Error("no frames on the second stream")
	}
}
