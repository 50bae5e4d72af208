package publisher_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/activityd/activityd/publisher"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

// buildDaemon builds cmd/activityd into dir.
func buildDaemon(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "activityd")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/activityd")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// makeVideo writes an MP4 of ffmpeg's test pattern.
func makeVideo(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not found: run `make test`, which installs it")
	}
	out, err := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
		"testsrc=size=160x120:rate=10", "-t", "5", "-pix_fmt", "yuv420p", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
}

func startDaemon(t *testing.T, bin, cfg, logPath string) *exec.Cmd {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "STATE_DIRECTORY=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
	})
	return cmd
}

// outboxIDs reads the Nats-Msg-Ids of the records an outbox directory holds.
func outboxIDs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		// A .tmp file is a record whose write was cut: the outbox keeps it
		// at the next start only if it is whole, so it is read the same way.
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var r publisher.Record
		if err := json.Unmarshal(data, &r); err != nil || r.Subject == "" {
			if strings.HasSuffix(e.Name(), ".tmp") {
				continue
			}
			t.Fatalf("outbox file %s: %v", e.Name(), err)
		}
		ids = append(ids, r.MsgID)
	}
	return ids
}

// TestKilledWhileNATSDownOutboxDeliveredOnce runs the real daemon binary
// against an external nats-server, stops the server, SIGKILLs the daemon
// while its outbox holds events and clips, starts the server again on the
// same store and the daemon after it: every record of the outbox reaches
// JetStream, none twice.
func TestKilledWhileNATSDownOutboxDeliveredOnce(t *testing.T) {
	dir := t.TempDir()
	bin := buildDaemon(t, dir)
	video := filepath.Join(dir, "v.mp4")
	makeVideo(t, video)
	port := freePort(t)
	store := filepath.Join(dir, "jetstream")
	state := filepath.Join(dir, "state")
	cfg := filepath.Join(dir, "activityd.yaml")
	// Low thresholds: the untrained model's labels open events at once and
	// update them often, so that events happen while NATS is down.
	yaml := fmt.Sprintf(`streams:
  - {id: killcam, url: %q, fps: 5, loop: true}
nats:
  url: %q
  clips: {window_s: 1}
events: {smoothing_s: 0.2, enter: 0.2, exit: 0.1, min_duration_s: 0.2, min_gap_s: 0.2, update_interval_s: 0.4}
http: {listen: ""}
log: {level: info, format: json}
state_dir: %q
`, video, url(port), state)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "daemon.log")
	t.Cleanup(func() {
		if t.Failed() {
			data, _ := os.ReadFile(logPath)
			t.Logf("daemon log:\n%s", data)
		}
	})

	srv := runServer(t, port, store, nil)
	d := startDaemon(t, bin, cfg, logPath)
	nc, err := nats.Connect(url(port), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	eventually(t, 60*time.Second, "the first events in JetStream", func() bool {
		for _, m := range readStreamIfAny(nc) {
			if m.Subject == "activity.killcam.event" {
				return true
			}
		}
		return false
	})
	stopServer(srv)
	time.Sleep(4 * time.Second)
	if err := d.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = d.Wait()
	pending := outboxIDs(t, filepath.Join(state, "outbox"))
	t.Logf("daemon killed with %d messages in its outbox", len(pending))
	if len(pending) < 5 {
		t.Fatalf("outbox holds %d messages after 4 s without NATS, want events and clips", len(pending))
	}

	srv = runServer(t, port, store, nil)
	defer stopServer(srv)
	d = startDaemon(t, bin, cfg, logPath)
	eventually(t, 60*time.Second, "the outbox to be delivered", func() bool {
		stored := map[string]bool{}
		for _, m := range readStreamIfAny(nc) {
			stored[m.MsgID] = true
		}
		for _, id := range pending {
			if !stored[id] {
				return false
			}
		}
		return true
	})
	// Let the restarted daemon open events of its own, then stop it.
	starts := func() int {
		n := 0
		for _, m := range readStreamIfAny(nc) {
			if m.Subject == "activity.killcam.event" && strings.HasSuffix(m.MsgID, "-start") {
				n++
			}
		}
		return n
	}
	delivered := starts()
	eventually(t, 30*time.Second, "new events after the restart", func() bool { return starts() > delivered })
	if err := d.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = d.Wait()

	msgs := readStream(t, nc, "ACTIVITY")
	count := map[string]int{}
	events, shutdownEnds := 0, 0
	for _, m := range msgs {
		count[m.MsgID]++
		if m.Header.Get(publisher.HeaderStream) != "killcam" || m.Header.Get(publisher.HeaderModel) == "" {
			t.Errorf("%s %s: headers %v", m.Subject, m.MsgID, m.Header)
		}
		if m.Subject == "activity.killcam.event" {
			events++
			if e := decode[publisher.EventMsg](t, m.Data); e.Type == publisher.EventEnd && e.Reason == "shutdown" {
				shutdownEnds++
			}
		}
	}
	for id, n := range count {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}
	pendingEvents := 0
	for _, id := range pending {
		if count[id] != 1 {
			t.Errorf("outbox message %s stored %d times", id, count[id])
		}
		if !strings.Contains(id, "-clip-") {
			pendingEvents++
		}
	}
	t.Logf("outbox: %d messages (%d events) delivered once; stream holds %d messages (%d events), no duplicate ids",
		len(pending), pendingEvents, len(msgs), events)
	if pendingEvents == 0 {
		t.Error("the outbox held no events")
	}
	// SIGTERM ends the open events (reason shutdown) and sends them before
	// the daemon exits.
	if shutdownEnds == 0 {
		t.Error("no event ended with reason shutdown after SIGTERM")
	}
}

// readStreamIfAny is readStream that returns nothing while the stream or
// the server is not there yet.
func readStreamIfAny(nc *nats.Conn) (out []stored) {
	defer func() { _ = recover() }()
	ft := &fatalToPanic{}
	return readStream(ft, nc, "ACTIVITY")
}

// fatalToPanic turns Fatalf into a panic that readStreamIfAny recovers.
type fatalToPanic struct{ testing.TB }

func (f *fatalToPanic) Helper()               {}
func (f *fatalToPanic) Fatalf(string, ...any) { panic("not yet") }
func (f *fatalToPanic) Fatal(...any)          { panic("not yet") }
