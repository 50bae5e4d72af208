package ingest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mjpegHandler serves an endless multipart MJPEG stream of 25 fps frames,
// as IP cameras do.
func mjpegHandler(t *testing.T) http.Handler {
	var frames [][]byte
	for i := 0; i < 25; i++ {
		img := image.NewRGBA(image.Rect(0, 0, 160, 120))
		for y := 0; y < 120; y++ {
			for x := 0; x < 160; x++ {
				img.Set(x, y, color.RGBA{uint8(x + i*10), uint8(y), uint8(i * 10), 255})
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, nil); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, b.Bytes())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			f := frames[i%len(frames)]
			if _, err := fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(f)); err != nil {
				return
			}
			if _, err := w.Write(append(f, '\r', '\n')); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-tick.C:
			case <-r.Context().Done():
				return
			}
		}
	})
}

func serveLocal(t *testing.T, h http.Handler) (*http.Server, string) {
	t.Helper()
	return serveAt(t, "127.0.0.1:0", h)
}

// serveAt serves h on addr (127.0.0.1) and returns the server and its base
// URL.
func serveAt(t *testing.T, addr string, h http.Handler) (*http.Server, string) {
	t.Helper()
	var (
		l   net.Listener
		err error
	)
	for i := 0; i < 50; i++ { // the port may still be held by the previous server
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return srv, "http://" + l.Addr().String()
}

// TestHTTPMJPEG reads a real MJPEG-over-HTTP server on 127.0.0.1, loses it
// (the server drops every connection) and gets it back.
func TestHTTPMJPEG(t *testing.T) {
	if testing.Short() {
		t.Skip("real HTTP server")
	}
	srv, base := serveLocal(t, mjpegHandler(t))
	cfg := Config{ID: "mjpeg", URL: base + "/video.mjpg", FPS: 5, QueueSize: 4,
		OpenTimeout: 3 * time.Second, ReadTimeout: time.Second,
		BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond}
	_, log, frames, cancel, errc := startCounted(cfg)
	_, i := log.waitFor(t, StateOnline, 0, 5*time.Second)
	time.Sleep(time.Second)
	if n := frames.n.Load(); n < 3 {
		t.Fatalf("%d frames in 1s of MJPEG at 5 fps", n)
	}
	_ = srv.Close() // the camera goes away ...
	st, i := log.waitFor(t, StateReconnecting, i, 3*time.Second)
	t.Logf("mjpeg lost: %s", st.Reason)
	time.Sleep(500 * time.Millisecond)
	serveAt(t, strings.TrimPrefix(base, "http://"), mjpegHandler(t)) // ... and comes back
	back := time.Now()
	log.waitFor(t, StateOnline, i, 3*time.Second)
	t.Logf("mjpeg online again %v after the server came back", time.Since(back).Round(time.Millisecond))
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

// TestHTTPHLS reads an HLS playlist (made by ffmpeg from a generated video)
// served over HTTP on 127.0.0.1.
func TestHTTPHLS(t *testing.T) {
	if testing.Short() {
		t.Skip("real HTTP server")
	}
	video := makeVideo(t, "hls-src.mp4", 320, 240, 25, 4, "-g", "25")
	dir := t.TempDir()
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", video, "-c", "copy",
		"-f", "hls", "-hls_time", "1", "-hls_list_size", "0", "-hls_playlist_type", "vod",
		filepath.Join(dir, "index.m3u8")).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg hls: %v\n%s", err, out)
	}
	_, base := serveLocal(t, http.FileServer(http.Dir(dir)))
	cfg := Config{ID: "hls", URL: base + "/index.m3u8", FPS: 5, QueueSize: 64,
		BackoffMin: time.Second, BackoffMax: 2 * time.Second}
	q := NewQueue(cfg.QueueSize)
	src := NewSource(cfg, q, nil)
	log := newStatusLog()
	src.OnStatus = log.add
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx) }()
	got := drain(q)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, StateOnline, 0, time.Second)
	// A live source: stamped with wall time, sampled at 5 fps of it. The
	// VOD playlist is read faster than real time, so at least one frame per
	// tick of wall time, and no more than the 20 ticks of 4 s of video.
	if len(got) < 2 || len(got) > 21 {
		t.Errorf("%d analysed frames from HLS", len(got))
	}
	if !got[0].Discontinuity {
		t.Errorf("first frame: %+v", got[0])
	}
}

// TestBackoffResetsAfterStablePeriod uses a camera that drops every
// connection after 700 ms. Each time the stream was online longer than
// StableAfter, so the backoff starts again from BackoffMin and every
// reconnect is quick; without the reset the fifth delay could reach 1.6 s.
func TestBackoffResetsAfterStablePeriod(t *testing.T) {
	if testing.Short() {
		t.Skip("real HTTP server")
	}
	inner := mjpegHandler(t)
	_, base := serveLocal(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 700*time.Millisecond)
		defer cancel()
		inner.ServeHTTP(w, r.WithContext(ctx))
	}))
	cfg := Config{ID: "flaky", URL: base + "/video.mjpg", FPS: 5, QueueSize: 4,
		OpenTimeout: 2 * time.Second, ReadTimeout: time.Second,
		BackoffMin: 100 * time.Millisecond, BackoffMax: 3200 * time.Millisecond, StableAfter: 300 * time.Millisecond}
	_, log, frames, cancel, errc := startCounted(cfg)
	_, i := log.waitFor(t, StateOnline, 0, 5*time.Second)
	var worst time.Duration
	for n := 0; n < 5; n++ {
		lost, j := log.waitFor(t, StateReconnecting, i, 3*time.Second)
		back, k := log.waitFor(t, StateOnline, j, 3*time.Second)
		worst = max(worst, back.Since.Sub(lost.Since))
		i = k
	}
	t.Logf("worst reconnect over 5 drops: %v", worst.Round(time.Millisecond))
	if worst > 600*time.Millisecond {
		t.Errorf("a reconnect took %v: the backoff was not reset after a stable period", worst)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Error(err)
	}
	<-frames.done
}
