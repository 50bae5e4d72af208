package ingest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pion/rtp"
	"go.uber.org/goleak"
)

// relay is a real RTSP server on 127.0.0.1: one publisher (ffmpeg pushing a
// generated file) and any number of readers.
type relay struct {
	srv    *gortsplib.Server
	mu     sync.Mutex
	stream *gortsplib.ServerStream
	pub    *gortsplib.ServerSession
	ready  chan struct{}
	ffmpeg *exec.Cmd
}

func (r *relay) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream != nil && ctx.Session == r.pub {
		r.stream.Close()
		r.stream, r.pub = nil, nil
	}
}

func (r *relay) OnDescribe(*gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, r.stream, nil
}

func (r *relay) OnAnnounce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (*base.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := &gortsplib.ServerStream{Server: r.srv, Desc: ctx.Description}
	if err := st.Initialize(); err != nil {
		return &base.Response{StatusCode: base.StatusBadRequest}, err
	}
	r.stream, r.pub = st, ctx.Session
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (r *relay) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if ctx.Session.State() == gortsplib.ServerSessionStatePreRecord {
		return &base.Response{StatusCode: base.StatusOK}, nil, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, r.stream, nil
}

func (r *relay) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (r *relay) OnRecord(ctx *gortsplib.ServerHandlerOnRecordCtx) (*base.Response, error) {
	r.mu.Lock()
	st := r.stream
	r.mu.Unlock()
	var once sync.Once
	ctx.Session.OnPacketRTPAny(func(m *description.Media, _ format.Format, pkt *rtp.Packet) {
		_ = st.WritePacketRTP(m, pkt)
		once.Do(func() { close(r.ready) })
	})
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// startRelay starts the server on port (and, for UDP, on udpPort and
// udpPort+1) and an ffmpeg publisher looping video into it, and waits until
// packets flow.
func startRelay(t *testing.T, port, udpPort int, video string) *relay {
	t.Helper()
	r := &relay{ready: make(chan struct{})}
	r.srv = &gortsplib.Server{Handler: r, RTSPAddress: fmt.Sprintf("127.0.0.1:%d", port)}
	if udpPort > 0 {
		r.srv.UDPRTPAddress = fmt.Sprintf("127.0.0.1:%d", udpPort)
		r.srv.UDPRTCPAddress = fmt.Sprintf("127.0.0.1:%d", udpPort+1)
	}
	var err error
	for i := 0; i < 50; i++ { // the port may still be held by the previous server
		if err = r.srv.Start(); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("rtsp server: %v", err)
	}
	r.ffmpeg = exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1",
		"-i", video, "-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp", fmt.Sprintf("rtsp://127.0.0.1:%d/cam", port))
	if err := r.ffmpeg.Start(); err != nil {
		r.srv.Close()
		t.Fatal(err)
	}
	select {
	case <-r.ready:
	case <-time.After(10 * time.Second):
		r.stop()
		t.Fatal("the publisher sent nothing")
	}
	return r
}

func (r *relay) stop() {
	_ = r.ffmpeg.Process.Kill()
	_ = r.ffmpeg.Wait()
	r.srv.Close()
}

func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		for i := 0; i < 100; i++ {
			a, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			p := a.LocalAddr().(*net.UDPAddr).Port &^ 1
			a.Close()
			a1, err1 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
			a2, err2 := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p+1))
			if a1 != nil {
				a1.Close()
			}
			if a2 != nil {
				a2.Close()
			}
			if err1 == nil && err2 == nil {
				return p
			}
		}
		t.Fatal("no free UDP port pair")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// frameCounter drains a queue in the background.
type frameCounter struct {
	n     atomic.Int64
	disc  atomic.Int64
	done  chan struct{}
	first chan struct{}
	once  sync.Once
}

// startCounted runs a source for cfg in the background, recording its
// states and counting its frames; cancel stops it and errc gives Run's
// result.
func startCounted(cfg Config) (*Source, *statusLog, *frameCounter, context.CancelFunc, chan error) {
	q := NewQueue(cfg.QueueSize)
	src := NewSource(cfg, q, nil)
	log := newStatusLog()
	src.OnStatus = log.add
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx) }()
	return src, log, countFrames(q), cancel, errc
}

func countFrames(q *Queue) *frameCounter {
	c := &frameCounter{done: make(chan struct{}), first: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			f, err := q.Get(context.Background())
			if err != nil {
				return
			}
			if f.Discontinuity {
				c.disc.Add(1)
			}
			f.Close()
			c.n.Add(1)
		}
	}()
	return c
}

func TestRTSPReconnect(t *testing.T) {
	if testing.Short() {
		t.Skip("real RTSP server")
	}
	video := makeVideo(t, "cam.mp4", 320, 240, 25, 2, "-g", "5")
	for _, transport := range []string{"tcp", "udp"} {
		t.Run(transport, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			port, udpPort := freePort(t, "tcp"), 0
			if transport == "udp" {
				udpPort = freePort(t, "udp")
			}
			r := startRelay(t, port, udpPort, video)

			cfg := Config{ID: "cam", URL: fmt.Sprintf("rtsp://viewer:s3cret@127.0.0.1:%d/cam", port), FPS: 5,
				QueueSize: 4, RTSPTransport: transport, OpenTimeout: 2 * time.Second, ReadTimeout: time.Second,
				BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second}
			_, log, frames, cancel, errc := startCounted(cfg)

			_, i := log.waitFor(t, StateOnline, 0, 10*time.Second)
			time.Sleep(time.Second)
			before := frames.n.Load()
			if before < 3 {
				t.Fatalf("%d frames in 1s online at 5 fps", before)
			}

			killed := time.Now()
			r.stop()
			st, i := log.waitFor(t, StateReconnecting, i, 5*time.Second)
			t.Logf("%s: reconnecting %v after the kill: %s", transport, time.Since(killed).Round(time.Millisecond), st.Reason)
			if strings.Contains(st.Reason, "s3cret") {
				t.Errorf("reason shows the password: %s", st.Reason)
			}
			time.Sleep(1500 * time.Millisecond) // a few failed reopens against a dead port

			r = startRelay(t, port, udpPort, video)
			defer r.stop()
			back := time.Now()
			log.waitFor(t, StateOnline, i, cfg.BackoffMax+cfg.OpenTimeout+time.Second)
			took := time.Since(back)
			t.Logf("%s: online again %v after the server came back (backoff cap %v)", transport, took.Round(time.Millisecond), cfg.BackoffMax)
			// FFmpeg's RTSP open probes the stream for about 1.2 s here.
			if took > cfg.BackoffMax+2*time.Second {
				t.Errorf("online again after %v, want within the backoff cap %v (+2s to open and decode)", took, cfg.BackoffMax)
			}
			mid := frames.n.Load()
			time.Sleep(time.Second)
			if after := frames.n.Load(); after-mid < 3 {
				t.Errorf("%d frames in 1s after reconnecting", after-mid)
			}
			if frames.disc.Load() < 2 {
				t.Errorf("%d discontinuities, want one per (re)connection", frames.disc.Load())
			}
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("Run: %v", err)
			}
			<-frames.done
		})
	}
}

// TestOpenTimeoutSilentServer points a source at a TCP listener that accepts
// and never answers: every open must fail within the open timeout, be
// retried, and leave no goroutine behind.
func TestOpenTimeoutSilentServer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	acceptDone := make(chan struct{})
	go func() {
		defer close(acceptDone)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		l.Close()
		<-acceptDone
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()

	for _, url := range []string{"rtsp://admin:pw@%s/stream", "http://%s/video.mjpg"} {
		url = fmt.Sprintf(url, l.Addr())
		t.Run(strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			mu.Lock()
			accepted := len(conns)
			mu.Unlock()
			cfg := Config{ID: "silent", URL: url, FPS: 5, QueueSize: 2,
				OpenTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond,
				BackoffMin: 50 * time.Millisecond, BackoffMax: 100 * time.Millisecond}
			ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
			defer cancel()
			q := NewQueue(2)
			src := NewSource(cfg, q, nil)
			log := newStatusLog()
			src.OnStatus = log.add
			start := time.Now()
			errc := make(chan error, 1)
			go func() { errc <- src.Run(ctx) }()
			st, _ := log.waitFor(t, StateOffline, 0, 2*time.Second)
			took := st.Since.Sub(start)
			t.Logf("%s: first open failed after %v: %s", url, took.Round(time.Millisecond), st.Reason)
			if took < cfg.OpenTimeout-50*time.Millisecond || took > cfg.OpenTimeout+300*time.Millisecond {
				t.Errorf("open failed after %v, want about the open timeout %v", took, cfg.OpenTimeout)
			}
			if !strings.Contains(st.Reason, "open timed out") || strings.Contains(st.Reason, ":pw@") {
				t.Errorf("reason %q", st.Reason)
			}
			if err := <-errc; err != nil {
				t.Errorf("Run: %v", err)
			}
			if n := drain(q); len(n) != 0 {
				t.Errorf("%d frames from a silent server", len(n))
			}
			mu.Lock()
			opens := len(conns) - accepted
			mu.Unlock()
			// 2.5 s at 0.5 s per open plus up to 0.1 s between: 4 opens.
			if opens < 3 || src.Reconnects() < 3 {
				t.Errorf("%d connections and %d retries in 2.5s, want repeated opens", opens, src.Reconnects())
			}
		})
	}
}

// TestRTSPStallWatchdog freezes the publisher (SIGSTOP) while the RTSP
// session stays up, so the reader's read blocks: the watchdog must declare
// the stream stalled within the read timeout, abandon the capture and keep
// reopening; when the publisher resumes, frames flow again and no goroutine
// is left behind.
func TestRTSPStallWatchdog(t *testing.T) {
	if testing.Short() {
		t.Skip("real RTSP server")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	video := makeVideo(t, "cam.mp4", 320, 240, 25, 2, "-g", "5")
	port := freePort(t, "tcp")
	r := startRelay(t, port, 0, video)
	defer r.stop()

	cfg := Config{ID: "cam", URL: fmt.Sprintf("rtsp://127.0.0.1:%d/cam", port), FPS: 5, QueueSize: 4,
		OpenTimeout: 3 * time.Second, ReadTimeout: 700 * time.Millisecond,
		BackoffMin: 100 * time.Millisecond, BackoffMax: 500 * time.Millisecond}
	src, log, frames, cancel, errc := startCounted(cfg)
	_, i := log.waitFor(t, StateOnline, 0, 10*time.Second)
	time.Sleep(500 * time.Millisecond)

	if err := r.ffmpeg.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()
	st, i := log.waitFor(t, StateReconnecting, i, 3*time.Second)
	took := time.Since(frozen)
	t.Logf("stalled %v after the publisher froze: %s", took.Round(time.Millisecond), st.Reason)
	if !strings.Contains(st.Reason, "read stalled") {
		t.Errorf("reason %q, want a stall", st.Reason)
	}
	// The last frame may have been read up to one frame before the freeze.
	if took > cfg.ReadTimeout+400*time.Millisecond {
		t.Errorf("stall declared after %v with a %v read timeout", took, cfg.ReadTimeout)
	}
	time.Sleep(1500 * time.Millisecond)
	if src.Stalls() < 1 {
		t.Errorf("no stall counted")
	}
	_ = r.ffmpeg.Process.Signal(syscall.SIGCONT)
	log.waitFor(t, StateOnline, i, 5*time.Second)
	// The resumed publisher first bursts its backlog (ffmpeg -re catches
	// up), so allow a few seconds for five frames of wall time.
	mid := frames.n.Load()
	deadline := time.Now().Add(4 * time.Second)
	for frames.n.Load()-mid < 5 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := frames.n.Load() - mid; n < 5 {
		t.Errorf("%d frames in 4s after the stall", n)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Run: %v", err)
	}
	<-frames.done
}
