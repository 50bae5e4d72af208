package ingest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startRTMP runs ffmpeg as a one-client RTMP server on 127.0.0.1:port,
// serving a generated video in a loop, and waits until it listens. An
// ffmpeg that exits before listening (its bind can lose a race with the
// port's previous user) is started again.
func startRTMP(t *testing.T, port int, video string) *exec.Cmd {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", video,
			"-c", "copy", "-f", "flv", "-listen", "1", fmt.Sprintf("rtmp://127.0.0.1:%d/live/cam", port))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _, _ = cmd.Process.Wait(); close(exited) }()
		for time.Now().Before(deadline) {
			// Connecting would take the server's single client, and
			// binding the port could steal it from ffmpeg: read the
			// kernel's socket table instead. A reader retrying in the
			// background can be accepted before a poll sees the listening
			// socket, which ffmpeg closes on accepting its one client:
			// an accepted connection counts as up too.
			if serving(port) {
				return cmd
			}
			select {
			case <-exited:
			case <-time.After(20 * time.Millisecond):
				continue
			}
			break
		}
		_ = cmd.Process.Kill()
		<-exited
	}
	t.Fatal("the RTMP server did not listen")
	return nil
}

// serving reports whether a socket on 127.0.0.1:port listens or holds an
// accepted connection, from /proc/net/tcp (state 0A is LISTEN, 01
// ESTABLISHED; the local address is the second field).
func serving(port int) bool {
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false
	}
	want := fmt.Sprintf("0100007F:%04X", port)
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 3 && f[1] == want && (f[3] == "0A" || f[3] == "01") {
			return true
		}
	}
	return false
}

// TestRTMP reads an RTMP stream, loses the server and gets it back.
func TestRTMP(t *testing.T) {
	if testing.Short() {
		t.Skip("real RTMP server")
	}
	video := makeVideo(t, "rtmp.mp4", 320, 240, 25, 2, "-g", "5")
	port := freePort(t, "tcp")
	srv := startRTMP(t, port, video)
	cfg := Config{ID: "rtmp", URL: fmt.Sprintf("rtmp://127.0.0.1:%d/live/cam", port), FPS: 5, QueueSize: 4,
		OpenTimeout: 3 * time.Second, ReadTimeout: time.Second,
		BackoffMin: 100 * time.Millisecond, BackoffMax: 300 * time.Millisecond}
	_, log, frames, cancel, errc := startCounted(cfg)
	_, i := log.waitFor(t, StateOnline, 0, 5*time.Second)
	time.Sleep(time.Second)
	if n := frames.n.Load(); n < 3 {
		t.Fatalf("%d frames in 1s of RTMP at 5 fps", n)
	}
	_ = srv.Process.Kill()
	_ = srv.Wait()
	st, i := log.waitFor(t, StateReconnecting, i, 3*time.Second)
	t.Logf("rtmp lost: %s", st.Reason)
	srv = startRTMP(t, port, video)
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	back := time.Now()
	log.waitFor(t, StateOnline, i, 5*time.Second)
	t.Logf("rtmp online again %v after the server came back", time.Since(back).Round(time.Millisecond))
	mid := frames.n.Load()
	time.Sleep(time.Second)
	if n := frames.n.Load() - mid; n < 3 {
		t.Errorf("%d frames in 1s after reconnecting", n)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Error(err)
	}
	<-frames.done
}
