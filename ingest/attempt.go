package ingest

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"gocv.io/x/gocv"
)

// attempt is one open of a source and the reads that follow, run by one
// goroutine that alone owns the capture and its Mat.
type attempt struct {
	src    *Source
	t      target
	ctx    context.Context // cancelled when the supervisor gives up
	cancel context.CancelFunc
	offset time.Duration // added to a file's presentation times

	abandoned bool // guarded by src.emitMu

	// readStart is when the read in progress started, in nanoseconds
	// since src.t0 plus one; 0 while no read is in progress.
	readStart atomic.Int64

	opened chan struct{}   // closed once the capture is open
	first  chan struct{}   // closed on the first decoded frame
	end    chan attemptEnd // receives the outcome (buffered)
}

type attemptEnd struct {
	err     error
	eof     bool
	lastPTS time.Duration
}

// stalledFor returns how long the read in progress has been blocked.
func (a *attempt) stalledFor() time.Duration {
	rs := a.readStart.Load()
	if rs == 0 {
		return 0
	}
	return time.Since(a.src.t0) - time.Duration(rs-1)
}

func (a *attempt) run() {
	defer a.src.attempts.Done()
	vc, err := openCapture(a.t, &a.src.cfg)
	if err != nil {
		a.end <- attemptEnd{err: err}
		return
	}
	defer vc.release()
	if a.ctx.Err() != nil { // given up while opening
		a.end <- attemptEnd{err: a.ctx.Err()}
		return
	}
	close(a.opened)
	img := gocv.NewMat()
	defer img.Close()
	a.end <- a.read(vc, &img)
}

// read decodes frames, stamps and samples them, and hands the sampled ones
// on, until the source ends or fails or the attempt is given up.
func (a *attempt) read(vc *videoCapture, img *gocv.Mat) attemptEnd {
	s := a.src
	live := a.t.kind.Live()
	sampler := NewSampler(s.cfg.FPS)
	read := s.cfg.Metrics.readCounter(s.cfg.ID)
	var (
		frames, sinceLoop  int
		lastPTS            time.Duration
		width, height      int
		wallZero           time.Time
		ptsZero, pacedLast time.Duration
	)
	for {
		if a.ctx.Err() != nil {
			return attemptEnd{err: a.ctx.Err(), lastPTS: lastPTS}
		}
		// Grab decodes; only a frame the sampler takes is converted
		// (retrieve) and copied.
		a.readStart.Store(int64(time.Since(s.t0)) + 1)
		ok := vc.grab()
		a.readStart.Store(0)
		if a.ctx.Err() != nil {
			return attemptEnd{err: a.ctx.Err(), lastPTS: lastPTS}
		}
		if !ok {
			shown := Redact(s.cfg.URL)
			switch {
			case frames == 0:
				return attemptEnd{err: fmt.Errorf("%w %s: opened, but no frame could be decoded", ErrOpen, shown)}
			case live:
				return attemptEnd{err: fmt.Errorf("%w %s: the source stopped delivering frames", ErrLost, shown), lastPTS: lastPTS}
			case s.cfg.Loop && sinceLoop > 0:
				// Seek back rather than reopen: OpenCV serialises FFmpeg
				// opens process-wide, so a reopen could wait on another
				// stream's slow open. Stream time carries on one frame
				// after the last; the sampler flags the jump back.
				vc.set(gocv.VideoCapturePosFrames, 0)
				a.offset = lastPTS + frameDur(vc, s.cfg.FPS)
				sampler.Reset()
				sinceLoop = 0
				continue
			}
			// End of file, or a seek back that gave nothing: the supervisor
			// reopens a looping file.
			return attemptEnd{eof: true, lastPTS: lastPTS}
		}
		now := time.Now()
		frames++
		sinceLoop++
		read.Inc()
		if frames == 1 {
			close(a.first)
		}
		var pts time.Duration
		if live {
			pts = now.Sub(s.t0) // monotonic
		} else {
			pts = a.offset + time.Duration(vc.get(gocv.VideoCapturePosMsec)*float64(time.Millisecond))
			// OpenCV reports 0 ms for the frames the decoder flushes at
			// the end of a file: within one pass, time never goes back.
			if sinceLoop > 1 && pts < lastPTS {
				pts = lastPTS + frameDur(vc, s.cfg.FPS)
			}
		}
		lastPTS = pts
		if !live && s.cfg.Realtime {
			if wallZero.IsZero() || pts < pacedLast || pts-pacedLast > 2*time.Second {
				wallZero, ptsZero = now, pts // start, or rebase after a time jump
			}
			pacedLast = pts
			if wait := time.Until(wallZero.Add(pts - ptsZero)); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-a.ctx.Done():
					t.Stop()
					return attemptEnd{err: a.ctx.Err(), lastPTS: lastPTS}
				}
			}
		}
		take, gap, disc := sampler.Offer(pts)
		if !take {
			continue
		}
		if !vc.retrieve(img) {
			return attemptEnd{err: fmt.Errorf("%w %s: a decoded frame could not be converted", ErrLost, Redact(s.cfg.URL)), lastPTS: lastPTS}
		}
		// A resolution change is a discontinuity. It is seen on the
		// frames that are analysed, which are the ones it matters for.
		if c, r := img.Cols(), img.Rows(); c != width || r != height {
			if width != 0 && !disc {
				disc, gap = true, 0
				sampler.Reset()
				sampler.Offer(pts)
			}
			width, height = c, r
		}
		if !a.emit(Frame{Mat: img.Clone(), PTS: pts, Captured: now, Gap: gap, Discontinuity: disc}, !live && !s.cfg.Realtime) {
			return attemptEnd{err: a.ctx.Err(), lastPTS: lastPTS}
		}
	}
}

// emit numbers f and queues it, unless the attempt was abandoned. A batch
// file (wait) waits for room in the queue; anything else never waits and
// the queue drops its oldest frame instead. It reports false when the
// attempt is over.
func (a *attempt) emit(f Frame, wait bool) bool {
	s := a.src
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if a.abandoned {
		f.Close()
		return false
	}
	s.seq++
	f.Seq = s.seq
	if wait {
		if err := s.queue.PutWait(a.ctx, f); err != nil {
			s.seq--
			return false
		}
		return true
	}
	s.queue.Put(f)
	return true
}

// frameDur is a file's frame duration, or the analysis interval when the
// container does not say.
func frameDur(vc *videoCapture, analysisFPS float64) time.Duration {
	if fps := vc.get(gocv.VideoCaptureFPS); fps > 0 && fps < 1000 {
		return time.Duration(float64(time.Second) / fps)
	}
	return time.Duration(float64(time.Second) / analysisFPS)
}
