package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/activityd/activityd/internal/testenv"
	"github.com/activityd/activityd/publisher"
)

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "activityd.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDaemonPublishesFrames runs the real binary on a video made by ffmpeg,
// subscribes to its embedded server, and stops it with SIGTERM.
func TestDaemonPublishesFrames(t *testing.T) {
	bin := testenv.Binary(t, "activityd")
	dir := t.TempDir()
	video := testenv.Video(t, dir, "v.mp4", "160x120", 10, 2)
	natsAddr := testenv.FreeAddr(t)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
streams:
  - id: cam1
    url: %s
    fps: 5
    loop: true
nats:
  listen: %s
http:
  listen: 127.0.0.1:0
log:
  format: json
state_dir: %s
`, video, natsAddr, filepath.Join(dir, "state")))

	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-config", cfg)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	nc, err := nats.Connect("nats://"+natsAddr, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msgs := make(chan *nats.Msg, 64)
	if _, err := nc.ChanSubscribe("activity.>", msgs); err != nil {
		t.Fatal(err)
	}

	var got []publisher.FrameMsg
	deadline := time.After(30 * time.Second)
	for len(got) < 12 {
		select {
		case m := <-msgs:
			if m.Subject != "activity.cam1.frame" {
				continue
			}
			var f publisher.FrameMsg
			if err := json.Unmarshal(m.Data, &f); err != nil {
				t.Fatalf("frame message is not JSON: %v: %s", err, m.Data)
			}
			if h := m.Header.Get(publisher.HeaderStream); h != "cam1" {
				t.Errorf("header %s = %q", publisher.HeaderStream, h)
			}
			got = append(got, f)
		case <-deadline:
			t.Fatalf("only %d frame messages in 30s; daemon log:\n%s", len(got), stderr.String())
		}
	}
	for i, f := range got {
		if f.Stream != "cam1" || f.Label == "" || f.Score <= 0 || f.Score > 1 || f.TS.IsZero() || len(f.TopK) == 0 {
			t.Errorf("message %d incomplete: %+v", i, f)
		}
		if i > 0 && f.Seq <= got[i-1].Seq {
			t.Errorf("seq not increasing: %d after %d", f.Seq, got[i-1].Seq)
		}
	}
	// 12 frames at 5 fps span over 2 s of a 2 s file: the loop was taken
	// and stream time kept increasing.
	if last := got[len(got)-1]; last.PTS <= got[0].PTS {
		t.Errorf("pts_s went from %v to %v", got[0].PTS, last.PTS)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; log:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit 15s after SIGTERM; log:\n%s", stderr.String())
	}
	log := stderr.String()
	for _, want := range []string{`"activityd stopping"`, `"embedded nats-server stopped"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	bin := testenv.Binary(t, "activityd")
	dir := t.TempDir()
	good := writeConfig(t, dir, "streams:\n  - id: cam1\n    url: /dev/null\n")
	out, err := exec.Command(bin, "-check-config", "-config", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "configuration ok") {
		t.Errorf("good config: %v %s", err, out)
	}

	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(bad, []byte("streams:\n  - id: cam.1\n    url: x\n    fsp: 3\n"), 0o600)
	out, err = exec.Command(bin, "-check-config", "-config", bad).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("bad config: exit %v, want 2", err)
	}
	if !strings.Contains(string(out), `unknown key "fsp"`) {
		t.Errorf("bad config output does not name the key: %s", out)
	}

	out, err = exec.Command(bin, "-check-config", "-config", filepath.Join(dir, "missing.yaml")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "missing.yaml") {
		t.Errorf("missing file: %v %s", err, out)
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(testenv.Binary(t, "activityd"), "-version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "activityd ") {
		t.Errorf("-version: %v %q", err, out)
	}
}

// TestStartupErrorIsOneClearLine occupies the embedded server's port: the
// daemon must exit non-zero naming the address, without a panic.
func TestStartupErrorIsOneClearLine(t *testing.T) {
	bin := testenv.Binary(t, "activityd")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf("nats:\n  listen: %s\nhttp:\n  listen: \"\"\nlog:\n  format: json\nstate_dir: %s\n",
		l.Addr(), dir))
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-config", cfg)
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1; stderr:\n%s", err, stderr.String())
	}
	last := lastLine(stderr.String())
	if !strings.HasPrefix(last, "activityd: ") || !strings.Contains(last, l.Addr().String()) {
		t.Errorf("last line %q should name the busy address", last)
	}
	if strings.Contains(stderr.String(), "panic") || strings.Contains(stderr.String(), "goroutine ") {
		t.Errorf("stderr shows a panic:\n%s", stderr.String())
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
