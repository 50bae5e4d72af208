package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Errors a source reports. Each comes wrapped with the (redacted) URL and the
// detail; test them with errors.Is.
var (
	// ErrOpenTimeout: the source did not open within Config.OpenTimeout.
	ErrOpenTimeout = errors.New("ingest: open timed out")
	// ErrStalled: a read did not return within Config.ReadTimeout; the
	// capture was abandoned and the source reopened.
	ErrStalled = errors.New("ingest: read stalled")
	// ErrLost: a live source stopped delivering frames.
	ErrLost = errors.New("ingest: stream lost")
)

// exitGrace bounds how long Run waits, when it returns, for a capture still
// blocked in OpenCV. Such a capture releases itself when the call returns.
const exitGrace = 2 * time.Second

// Config describes one source.
type Config struct {
	ID  string
	URL string
	// FPS is the analysis rate in frames per second of stream time.
	FPS float64
	// Loop replays a file from the start when it ends.
	Loop bool
	// Realtime paces a file at its native rate; false reads it as fast as
	// analysis takes frames (no frame is dropped). Live sources always run
	// at their own rate.
	Realtime bool
	// QueueSize bounds the frames waiting for analysis.
	QueueSize int

	// RTSPTransport is "tcp" (default) or "udp".
	RTSPTransport string
	// OpenTimeout bounds opening the source; ReadTimeout bounds each read,
	// after which the capture is declared stalled, abandoned and reopened.
	OpenTimeout, ReadTimeout time.Duration
	// BackoffMin and BackoffMax bound the delay between reconnects, which
	// doubles from BackoffMin with jitter up to BackoffMax.
	BackoffMin, BackoffMax time.Duration
	// StableAfter is how long a source must stay online for the backoff to
	// start again from BackoffMin.
	StableAfter time.Duration

	// Width, Height, CaptureFPS and FourCC ("MJPG", "YUYV") are requested
	// from a V4L2 camera; zero values leave the driver's choice.
	Width, Height int
	CaptureFPS    float64
	FourCC        string

	// Metrics, when set, receives the source's state, reconnects and
	// stalls.
	Metrics *Metrics
}

func (c Config) withDefaults() Config {
	if c.FPS <= 0 {
		c.FPS = 5
	}
	if c.RTSPTransport == "" {
		c.RTSPTransport = "tcp"
	}
	if c.OpenTimeout <= 0 {
		c.OpenTimeout = DefaultOpenTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = DefaultBackoffMin
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = c.BackoffMin
	}
	if c.StableAfter <= 0 {
		c.StableAfter = DefaultStableAfter
	}
	return c
}

// Source captures one stream, samples it and puts frames on its queue. Run
// supervises it: each open and read is bounded, a failed or stalled live
// source is reopened after a backoff, forever.
type Source struct {
	cfg   Config
	log   *zap.Logger
	queue *Queue
	// OnStatus, when set, is called on every state change, from Run's
	// goroutine.
	OnStatus func(Status)

	mu        sync.Mutex
	status    Status
	announced bool // the first state has been reported

	// emitMu orders frames: an abandoned capture never puts a frame after
	// its replacement started. It guards seq and attempt.abandoned.
	emitMu sync.Mutex
	seq    uint64

	t0         time.Time // monotonic origin of live presentation times
	attempts   sync.WaitGroup
	reconnects atomic.Uint64
	stalls     atomic.Uint64
}

// NewSource returns a source feeding q. Unset durations take the defaults.
func NewSource(cfg Config, q *Queue, log *zap.Logger) *Source {
	if log == nil {
		log = zap.NewNop()
	}
	cfg = cfg.withDefaults()
	return &Source{cfg: cfg, log: log, queue: q,
		status: Status{Stream: cfg.ID, State: StateConnecting, Since: time.Now()}}
}

// Queue returns the queue the source feeds.
func (s *Source) Queue() *Queue { return s.queue }

// Status returns the source's current state.
func (s *Source) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Reconnects counts the times the source was reopened after a failure.
func (s *Source) Reconnects() uint64 { return s.reconnects.Load() }

// Stalls counts the reads abandoned by the watchdog.
func (s *Source) Stalls() uint64 { return s.stalls.Load() }

func (s *Source) setState(st State, reason string) {
	reason = Redact(reason)
	s.mu.Lock()
	if s.announced && s.status.State == st && s.status.Reason == reason {
		s.mu.Unlock()
		return
	}
	s.status = Status{Stream: s.cfg.ID, State: st, Reason: reason, Since: time.Now()}
	s.announced = true
	cur := s.status
	s.mu.Unlock()
	s.cfg.Metrics.setState(s.cfg.ID, st)
	if st == StateOnline || st == StateEnded {
		s.log.Info("source state", zap.String("state", string(st)))
	} else if reason != "" {
		s.log.Warn("source state", zap.String("state", string(st)), zap.String("reason", reason))
	}
	if s.OnStatus != nil {
		s.OnStatus(cur)
	}
}

// Run captures until ctx is cancelled, a file ends, or the source fails for
// good. It returns nil when ctx was cancelled or a file ended, and an error
// when the URL names no source kind or a file cannot be read (state
// offline). Live sources are never given up: they go offline or
// reconnecting, with the reason, and are reopened after a backoff. Run closes
// the queue when it returns.
func (s *Source) Run(ctx context.Context) error {
	defer s.queue.Close()
	defer s.waitAttempts()
	s.t0 = time.Now()
	t, err := parseTarget(s.cfg.URL)
	if err != nil {
		s.setState(StateOffline, err.Error())
		return err
	}
	s.setState(StateConnecting, "")
	bo := backoff{min: s.cfg.BackoffMin, max: s.cfg.BackoffMax}
	var (
		everOnline bool
		offset     time.Duration // stream time added by loops of a file
	)
	for {
		res := s.runAttempt(ctx, t, offset)
		if ctx.Err() != nil {
			return nil
		}
		if res.err == nil && !res.eof { // not expected; never report a nil reason
			res.err = fmt.Errorf("%w %s: the capture ended without a reason", ErrLost, Redact(s.cfg.URL))
		}
		if res.online {
			everOnline = true
			if res.onlineFor >= s.cfg.StableAfter {
				bo.reset()
			}
		}
		if !t.kind.Live() {
			switch {
			case res.eof && s.cfg.Loop:
				// Reopen at once; the next frame carries a discontinuity and
				// its time continues after the last one.
				offset = res.lastPTS + time.Duration(float64(time.Second)/s.cfg.FPS)
				s.reconnects.Add(1)
				s.cfg.Metrics.reconnect(s.cfg.ID)
				continue
			case res.eof:
				s.setState(StateEnded, "end of file")
				return nil
			}
			s.setState(StateOffline, res.err.Error())
			return res.err
		}
		if errors.Is(res.err, errPermanent) {
			s.setState(StateOffline, res.err.Error())
			return res.err
		}
		st := StateOffline
		if everOnline {
			st = StateReconnecting
		}
		s.setState(st, res.err.Error())
		wait := time.NewTimer(bo.next())
		select {
		case <-wait.C:
		case <-ctx.Done():
			wait.Stop()
			return nil
		}
		s.reconnects.Add(1)
		s.cfg.Metrics.reconnect(s.cfg.ID)
	}
}

// waitAttempts waits a little for abandoned captures still blocked in
// OpenCV; they release themselves when their call returns.
func (s *Source) waitAttempts() {
	done := make(chan struct{})
	go func() { s.attempts.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(exitGrace):
		s.log.Warn("capture still blocked in its backend; it is released when the call returns")
	}
}

// result is how one attempt (open, then read until failure or end) went.
type result struct {
	err       error
	eof       bool // a file ended after at least one frame
	lastPTS   time.Duration
	online    bool
	onlineFor time.Duration
}

// runAttempt opens the source once and reads it until it fails, ends, stalls
// or ctx is cancelled. The capture lives in its own goroutine; on a timeout
// it is abandoned there (it releases itself when the blocked call returns)
// and runAttempt returns at once.
func (s *Source) runAttempt(ctx context.Context, t target, offset time.Duration) result {
	actx, cancel := context.WithCancel(ctx)
	a := &attempt{src: s, t: t, ctx: actx, cancel: cancel, offset: offset,
		opened: make(chan struct{}), first: make(chan struct{}), end: make(chan attemptEnd, 1)}
	s.attempts.Add(1)
	go a.run()

	shown := Redact(s.cfg.URL)
	openTimer := time.NewTimer(s.cfg.OpenTimeout)
	defer openTimer.Stop()
	select {
	case <-a.opened:
	case r := <-a.end:
		cancel()
		return result{err: r.err, eof: r.eof, lastPTS: r.lastPTS}
	case <-openTimer.C:
		s.abandon(a)
		return result{err: fmt.Errorf("%w %s: no answer within %s", ErrOpenTimeout, shown, s.cfg.OpenTimeout)}
	case <-ctx.Done():
		s.abandon(a)
		return result{err: ctx.Err()}
	}

	period := min(max(s.cfg.ReadTimeout/5, 5*time.Millisecond), 250*time.Millisecond)
	tick := time.NewTicker(period)
	defer tick.Stop()
	var onlineAt time.Time
	first := a.first
	onlineFor := func() time.Duration {
		if onlineAt.IsZero() {
			return 0
		}
		return time.Since(onlineAt)
	}
	for {
		select {
		case <-first:
			first = nil
			onlineAt = time.Now()
			s.setState(StateOnline, "")
		case r := <-a.end:
			cancel()
			if first != nil {
				select {
				case <-first:
					onlineAt = time.Now()
					s.setState(StateOnline, "")
				default:
				}
			}
			return result{err: r.err, eof: r.eof, lastPTS: r.lastPTS, online: !onlineAt.IsZero(), onlineFor: onlineFor()}
		case <-tick.C:
			if a.stalledFor() > s.cfg.ReadTimeout {
				s.abandon(a)
				s.stalls.Add(1)
				s.cfg.Metrics.stall(s.cfg.ID)
				return result{err: fmt.Errorf("%w %s: no frame within %s", ErrStalled, shown, s.cfg.ReadTimeout),
					online: !onlineAt.IsZero(), onlineFor: onlineFor()}
			}
		case <-ctx.Done():
			s.abandon(a)
			return result{err: ctx.Err()}
		}
	}
}

// abandon stops an attempt from putting any further frame. Its goroutine
// keeps the capture until the backend call it is in returns, then releases
// it: the capture is never touched from two goroutines.
func (s *Source) abandon(a *attempt) {
	a.cancel()
	s.emitMu.Lock()
	a.abandoned = true
	s.emitMu.Unlock()
}
