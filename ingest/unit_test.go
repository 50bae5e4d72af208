package ingest

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestParseKind(t *testing.T) {
	cases := []struct {
		url  string
		kind Kind
		err  error
	}{
		{"/srv/in.mp4", KindFile, nil},
		{"clips/yard.mkv", KindFile, nil},
		{"file:///srv/in.mp4", KindFile, nil},
		{"/dev/video0", KindDevice, nil},
		{"device:2", KindDevice, nil},
		{"rtsp://u:p@127.0.0.1/s", KindRTSP, nil},
		{"RTSPS://127.0.0.1/s", KindRTSP, nil},
		{"http://127.0.0.1/video.mjpg", KindHTTP, nil},
		{"https://127.0.0.1/live/index.m3u8", KindHTTP, nil},
		{"rtmp://127.0.0.1/live/x", KindRTMP, nil},
		{"gst:videotestsrc ! appsink", KindGStreamer, nil},
		{"", "", ErrUnsupported},
		{"ftp://127.0.0.1/x.mp4", "", ErrUnsupported},
		{"device:-1", "", ErrUnsupported},
		{"device:", "", ErrUnsupported},
		{"gst:  ", "", ErrUnsupported},
		{"file://", "", ErrUnsupported},
	}
	for _, c := range cases {
		k, err := ParseKind(c.url)
		if k != c.kind || !errors.Is(err, c.err) {
			t.Errorf("ParseKind(%q) = %q, %v; want %q, %v", c.url, k, err, c.kind, c.err)
		}
	}
	if KindFile.Live() || !KindRTSP.Live() || !KindDevice.Live() {
		t.Error("Live: files are not live, the rest are")
	}
}

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"rtsp://admin:hunter2@127.0.0.1:554/s":                     "rtsp://admin:xxxxx@127.0.0.1:554/s",
		"rtsp://127.0.0.1/s":                                       "rtsp://127.0.0.1/s",
		"gst:rtspsrc location=rtsp://u:p4ss@127.0.0.1/a ! appsink": "gst:rtspsrc location=rtsp://u:xxxxx@127.0.0.1/a ! appsink",
		"open rtsp://a:b@h/x and http://c:d@h/y failed":            "open rtsp://a:xxxxx@h/x and http://c:xxxxx@h/y failed",
		"/srv/a:b@c.mp4":                                           "/srv/a:b@c.mp4",
	}
	for in, want := range cases {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseAndRedact(f *testing.F) {
	for _, s := range []string{"rtsp://u:p@h/x", "device:3", "gst:a ! b", "/dev/video0", "x://", "http://[::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseKind(s)
		r := Redact(s)
		if strings.Contains(s, "://") && strings.Contains(r, ":secret@") && strings.Contains(s, ":secret@") {
			t.Errorf("Redact(%q) kept the password: %q", s, r)
		}
	})
}

func TestBackoff(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for i, w := range want {
		w *= time.Millisecond
		d := b.next()
		if d < w/2 || d > w {
			t.Errorf("delay %d = %v, want within [%v, %v]", i, d, w/2, w)
		}
	}
	b.reset()
	if d := b.next(); d > 100*time.Millisecond {
		t.Errorf("after reset: %v", d)
	}
	// Jitter: delays at the cap are not all equal.
	seen := map[time.Duration]bool{}
	for i := 0; i < 20; i++ {
		b.n = 10
		seen[b.next()] = true
	}
	if len(seen) < 5 {
		t.Errorf("only %d distinct delays at the cap", len(seen))
	}
	// A huge attempt count neither overflows nor passes the cap.
	b.n = 1000
	if d := b.next(); d < 500*time.Millisecond || d > time.Second {
		t.Errorf("delay after many attempts: %v", d)
	}
}

// TestEnvGate checks that opens with the same options share the gate, that
// an open needing other options waits until they are done, and that files
// ("") never wait.
func TestEnvGate(t *testing.T) {
	old, had := os.LookupEnv(ffmpegOptionsEnv)
	defer func() {
		if had {
			os.Setenv(ffmpegOptionsEnv, old)
		} else {
			os.Unsetenv(ffmpegOptionsEnv)
		}
	}()
	g := &envGate{}
	g.acquire("rtsp_transport;tcp")
	g.acquire("rtsp_transport;tcp") // same options: no wait
	if v := os.Getenv(ffmpegOptionsEnv); v != "rtsp_transport;tcp" {
		t.Fatalf("env %q", v)
	}
	g.acquire("") // a file joins whatever is set
	g.release()

	var got atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		g.acquire("rtsp_transport;udp")
		got.Store(true)
		if v := os.Getenv(ffmpegOptionsEnv); v != "rtsp_transport;udp" {
			t.Errorf("env %q while holding udp", v)
		}
		g.release()
	}()
	time.Sleep(50 * time.Millisecond)
	if got.Load() {
		t.Fatal("udp open went ahead while tcp opens were in flight")
	}
	if v := os.Getenv(ffmpegOptionsEnv); v != "rtsp_transport;tcp" {
		t.Fatalf("env changed under an open: %q", v)
	}
	g.release()
	g.release()
	wg.Wait()
	if !got.Load() {
		t.Fatal("udp open never went ahead")
	}
}

func TestFFmpegOptions(t *testing.T) {
	if got := ffmpegOptions(KindRTSP, "udp", 3*time.Second); got != "rtsp_transport;udp|timeout;3000000|analyzeduration;2000000" {
		t.Errorf("rtsp: %q", got)
	}
	if got := ffmpegOptions(KindRTMP, "", 2*time.Second); got != "rtsp_transport;tcp|rw_timeout;2000000|analyzeduration;1000000" {
		t.Errorf("rtmp: %q", got)
	}
	if got := ffmpegOptions(KindFile, "tcp", time.Second); got != "" {
		t.Errorf("file: %q", got)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	src := NewSource(Config{ID: "cam", URL: "/dev/video97", Metrics: m,
		BackoffMin: 20 * time.Millisecond, BackoffMax: 40 * time.Millisecond}, NewQueue(1), nil)
	if err := src.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if v := gauge(t, reg, "activityd_ingest_source_state", "offline"); v != 1 {
		t.Errorf("offline gauge %v", v)
	}
	if v := gauge(t, reg, "activityd_ingest_source_state", "online"); v != 0 {
		t.Errorf("online gauge %v", v)
	}
	if v := gauge(t, reg, "activityd_ingest_reconnects_total", ""); v < 3 || v != float64(src.Reconnects()) {
		t.Errorf("reconnects %v, source says %d", v, src.Reconnects())
	}
}

// gauge reads the value of a series of reg by name and, if not empty, its
// state label.
func gauge(t *testing.T, reg *prometheus.Registry, name, state string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			match := state == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "state" && l.GetValue() == state {
					match = true
				}
			}
			if !match {
				continue
			}
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s{state=%q}", name, state)
	return 0
}
