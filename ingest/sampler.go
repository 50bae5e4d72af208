package ingest

import "time"

// Sampler picks frames by presentation time so that a stream is analysed at
// a target rate whatever its native rate. It takes the first frame at or past
// each tick, reports the stream time since the previous analysed frame, and
// flags discontinuities: the first frame, time going backwards, or a jump
// forward larger than JumpLimit.
type Sampler struct {
	interval  time.Duration
	jumpLimit time.Duration

	started  bool
	next     time.Duration // stream time of the next tick
	lastRaw  time.Duration // pts of the last frame offered
	lastTake time.Duration // pts of the last frame taken
}

// NewSampler returns a sampler for fps analysed frames per second of stream
// time.
func NewSampler(fps float64) *Sampler {
	iv := time.Duration(float64(time.Second) / fps)
	jl := 10 * iv
	if jl < 2*time.Second {
		jl = 2 * time.Second
	}
	return &Sampler{interval: iv, jumpLimit: jl}
}

// Interval returns the target time between analysed frames.
func (s *Sampler) Interval() time.Duration { return s.interval }

// Reset makes the next frame start afresh, flagged as a discontinuity.
func (s *Sampler) Reset() { s.started = false }

// Offer tells the sampler about a decoded frame with presentation time pts.
// take says whether to analyse it; gap is the stream time since the previous
// analysed frame (0 after a discontinuity) and disc flags a discontinuity.
func (s *Sampler) Offer(pts time.Duration) (take bool, gap time.Duration, disc bool) {
	if s.started && (pts < s.lastRaw || pts-s.lastRaw > s.jumpLimit) {
		s.started = false
	}
	if !s.started {
		s.started = true
		s.lastRaw = pts
		s.lastTake = pts
		s.next = pts + s.interval
		return true, 0, true
	}
	s.lastRaw = pts
	// A small tolerance absorbs container timestamps rounded to the
	// millisecond (33 ms frames against a 200 ms tick).
	if pts+time.Millisecond < s.next {
		return false, 0, false
	}
	gap = pts - s.lastTake
	s.lastTake = pts
	s.next += s.interval
	if s.next <= pts { // the source is slower than the target rate
		s.next = pts + s.interval
	}
	return true, gap, false
}
