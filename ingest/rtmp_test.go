package ingest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"
)

// startRTMP runs ffmpeg as a one-client RTMP server on 127.0.0.1:port,
// serving a generated video in a loop, and waits until it listens.
func startRTMP(t *testing.T, port int, video string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", video,
		"-c", "copy", "-f", "flv", "-listen", "1", fmt.Sprintf("rtmp://127.0.0.1:%d/live/cam", port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		// Probing the port would take the server's single client, so wait
		// for the listening socket to show up instead.
		if listening(port) {
			return cmd
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	t.Fatal("the RTMP server did not listen")
	return nil
}

// listening reports whether something listens on 127.0.0.1:port, by trying
// to bind it.
func listening(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return true
	}
	l.Close()
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
	q := NewQueue(cfg.QueueSize)
	src := NewSource(cfg, q, nil)
	log := newStatusLog()
	src.OnStatus = log.add
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx) }()
	frames := countFrames(q)
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
