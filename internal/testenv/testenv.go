// Package testenv holds what the project's tests share: real video files
// made with ffmpeg, free loopback ports, and the daemon binary built once.
package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Video writes an H.264 MP4 of ffmpeg's test pattern: seconds long, at fps,
// size WxH ("160x120"). ffmpeg is installed by `make test`; without it the
// test fails rather than silently skipping.
func Video(t testing.TB, dir, name, size string, fps int, seconds float64) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg not found: run `make test`, which installs it, or apt-get install ffmpeg")
	}
	path := filepath.Join(dir, name)
	cmd := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi",
		"-i", fmt.Sprintf("testsrc=size=%s:rate=%d", size, fps), "-t", fmt.Sprint(seconds),
		"-c:v", "libx264", "-pix_fmt", "yuv420p", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return path
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binary builds the named command (e.g. "activityd") once per test process
// and returns its path.
func Binary(t testing.TB, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "activityd-bin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", buildDir+"/", "./cmd/...")
		cmd.Dir = RepoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, name)
}

// RepoRoot returns the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
