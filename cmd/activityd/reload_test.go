package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/activityd/activityd/internal/testenv"
)

// syncBuffer is a bytes.Buffer safe to read while the process writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSIGHUPReloads sends SIGHUP to the real binary: a valid edit (a stream
// added) is applied, an invalid one is refused with a log line, and the
// daemon keeps running and exits 0 on SIGTERM.
func TestSIGHUPReloads(t *testing.T) {
	bin := testenv.Binary(t, "activityd")
	dir := t.TempDir()
	video := testenv.Video(t, dir, "v.mp4", "160x120", 10, 2)
	base := fmt.Sprintf("nats: {listen: %q}\nhttp: {listen: \"\"}\nlog: {format: json}\nstate_dir: %q\n",
		testenv.FreeAddr(t), filepath.Join(dir, "state"))
	stream := func(id string) string { return fmt.Sprintf("  - {id: %s, url: %q, loop: true}\n", id, video) }
	cfg := writeConfig(t, dir, "streams:\n"+stream("a")+base)

	var stderr syncBuffer
	cmd := exec.Command(bin, "-config", cfg)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	wait := func(what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(stderr.String(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s in the log:\n%s", what, stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait(`"activityd started"`)

	writeConfig(t, dir, "streams:\n"+stream("a")+stream("b")+base)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	wait(`"configuration reloaded","added":1,"removed":0,"changed":0,"unchanged":1`)

	if err := os.WriteFile(cfg, []byte("streams: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	wait(`"reload refused: invalid configuration; the running one stays"`)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
}
