package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"
	"gocv.io/x/gocv"
)

// ErrOpen wraps every failure to open a source.
var ErrOpen = errors.New("ingest: cannot open source")

// Config describes one source.
type Config struct {
	ID  string
	URL string
	// FPS is the analysis rate in frames per second of stream time.
	FPS float64
	// Loop replays a file from the start when it ends.
	Loop bool
	// Realtime paces a file at its native rate; false reads it as fast as
	// analysis takes frames.
	Realtime bool
	// QueueSize bounds the frames waiting for analysis.
	QueueSize int
}

// Source captures one stream, samples it and puts frames on its queue. It is
// owned by one goroutine: Run.
type Source struct {
	cfg   Config
	log   *zap.Logger
	queue *Queue
	// OnStatus, when set, is called on every state change.
	OnStatus func(Status)
}

// NewSource returns a source feeding q.
func NewSource(cfg Config, q *Queue, log *zap.Logger) *Source {
	return &Source{cfg: cfg, log: log, queue: q}
}

// Queue returns the queue the source feeds.
func (s *Source) Queue() *Queue { return s.queue }

func (s *Source) setState(st State, reason string) {
	if s.OnStatus != nil {
		s.OnStatus(Status{Stream: s.cfg.ID, State: st, Reason: reason, Since: time.Now()})
	}
}

// Run captures until the source ends or ctx is cancelled. It returns nil when
// the file ended or ctx was cancelled, and an error when the source cannot be
// opened or read. It closes the queue when it returns.
func (s *Source) Run(ctx context.Context) error {
	defer s.queue.Close()
	s.setState(StateConnecting, "")
	capture, err := openCapture(s.cfg.URL)
	if err != nil {
		s.setState(StateOffline, err.Error())
		return err
	}
	defer capture.Close()
	s.setState(StateOnline, "")

	img := gocv.NewMat()
	defer img.Close()
	sampler := NewSampler(s.cfg.FPS)
	var (
		seq      uint64
		offset   time.Duration // stream time added by loops
		lastPTS  time.Duration
		wallZero time.Time
		ptsZero  time.Duration
		frames   int
	)
	for ctx.Err() == nil {
		if !capture.Read(&img) || img.Empty() {
			if frames == 0 {
				err := fmt.Errorf("%w %s: no frame could be decoded", ErrOpen, Redact(s.cfg.URL))
				s.setState(StateOffline, err.Error())
				return err
			}
			if !s.cfg.Loop {
				s.setState(StateEnded, "end of file")
				return nil
			}
			capture.Set(gocv.VideoCapturePosFrames, 0)
			offset = lastPTS + sampler.Interval()
			sampler.Reset()
			frames = 0
			continue
		}
		frames++
		now := time.Now()
		pts := offset + time.Duration(capture.Get(gocv.VideoCapturePosMsec)*float64(time.Millisecond))
		lastPTS = pts
		if s.cfg.Realtime {
			if wallZero.IsZero() {
				wallZero, ptsZero = now, pts
			}
			if wait := time.Until(wallZero.Add(pts - ptsZero)); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return nil
				}
				now = time.Now()
			}
		}
		take, gap, disc := sampler.Offer(pts)
		if !take {
			continue
		}
		seq++
		s.queue.Put(Frame{Mat: img.Clone(), Seq: seq, PTS: pts, Captured: now, Gap: gap, Discontinuity: disc})
	}
	return nil
}

// openCapture opens a file (or any URL OpenCV's FFmpeg backend reads).
func openCapture(url string) (*gocv.VideoCapture, error) {
	if !strings.Contains(url, "://") {
		if _, err := os.Stat(url); err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrOpen, url, errors.Unwrap(err))
		}
	}
	c, err := gocv.VideoCaptureFileWithAPI(url, gocv.VideoCaptureFFmpeg)
	if err != nil || !c.IsOpened() {
		if c != nil {
			c.Close()
		}
		return nil, fmt.Errorf("%w %s: not a video OpenCV can read", ErrOpen, Redact(url))
	}
	return c, nil
}
