package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/activityd/activityd/internal/testenv"
)

// TestSystemdNotify runs the real binary as systemd would with Type=notify
// and WatchdogSec: a notify socket in the environment, which the test
// listens on. It checks READY=1, STATUS= lines, repeated WATCHDOG=1 pings
// and STOPPING=1 on SIGTERM.
func TestSystemdNotify(t *testing.T) {
	bin := testenv.Binary(t, "activityd")
	dir := t.TempDir()
	video := testenv.Video(t, dir, "v.mp4", "160x120", 10, 2)
	sock := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cfg := writeConfig(t, dir, fmt.Sprintf(
		"streams:\n  - {id: cam1, url: %q, loop: true}\nnats: {listen: %q}\nhttp: {listen: \"\"}\nlog: {format: json}\nstate_dir: %q\n",
		video, testenv.FreeAddr(t), filepath.Join(dir, "state")))

	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-config", cfg)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=600000")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	msgs := make(chan string, 256)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	next := func(want string, within time.Duration) string {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case m := <-msgs:
				if strings.HasPrefix(m, want) {
					return m
				}
			case <-deadline:
				t.Fatalf("no %q within %s; daemon log:\n%s", want, within, stderr.String())
			}
		}
	}
	next("READY=1", 20*time.Second)
	status := next("STATUS=", 5*time.Second)
	if !strings.Contains(status, "streams online") || !strings.Contains(status, "frames/s") {
		t.Errorf("status line %q lacks the summary", status)
	}
	// WatchdogSec=0.6s: pings come at least every 0.2s while healthy.
	start := time.Now()
	for i := 0; i < 3; i++ {
		next("WATCHDOG=1", 5*time.Second)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("3 watchdog pings took %s, want under WatchdogSec-paced 3s", d)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	next("STOPPING=1", 10*time.Second)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
}
