package decide

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	"strings"
	"time"
)

// Event types.
const (
	TypeStart  = "start"
	TypeUpdate = "update"
	TypeEnd    = "end"
)

// Reasons an event ends.
const (
	ReasonChanged    = "changed"
	ReasonSourceLost = "source_lost"
	ReasonShutdown   = "shutdown"
	ReasonTimeout    = "timeout"
)

// Config holds the thresholds and durations; every duration is in seconds
// of stream time.
type Config struct {
	// SmoothingS is the exponential smoothing time constant (0: none).
	SmoothingS float64
	// Enter and Exit are the thresholds on the smoothed score.
	Enter, Exit float64
	// MinDurationS is how long a score stays above Enter before the event
	// starts; MinGapS how long it stays below Exit before it ends.
	MinDurationS, MinGapS float64
	// UpdateIntervalS spaces the updates of an open event (0: none).
	UpdateIntervalS float64
	// Ignore lists labels that never open an event (compared without
	// case).
	Ignore []string
	// NewID makes event ids; nil uses random 128-bit hex ids.
	NewID func() string
}

// Event is one start, update or end of an activity. Times are given both
// in stream time (seconds) and on the wall clock.
type Event struct {
	ID    string
	Type  string
	Label string
	// Score is the smoothed score at a start, and the mean smoothed score
	// since the start for an update or an end.
	Score    float64
	StartPTS float64
	StartTS  time.Time
	// EndPTS and EndTS are set on an end.
	EndPTS float64
	EndTS  time.Time
	// DurationS is the stream time from the start to the end, or to this
	// update.
	DurationS float64
	// Reason is set on an end.
	Reason string
	// Update counts the updates of this event, from 1; 0 otherwise.
	Update int
}

// point is a moment in stream time with its wall-clock time.
type point struct {
	pts float64
	ts  time.Time
}

type open struct {
	id         string
	start      point
	lastUpdate float64
	updates    int
	sum        float64
	n          int
}

type class struct {
	label   string
	ignored bool
	score   float64
	input   float64 // the last frame's probability
	above   *point  // first frame of the current run above Enter
	below   *point  // first frame of the current run below Exit
	ev      *open
}

// Decider holds one stream's smoothing and event state. It is owned by the
// stream's goroutine and is not safe for concurrent use.
type Decider struct {
	cfg     Config
	classes []class
	last    *point
}

// New returns a decider for a model with these labels.
func New(cfg Config, labels []string) *Decider {
	if cfg.NewID == nil {
		cfg.NewID = randomID
	}
	d := &Decider{cfg: cfg, classes: make([]class, len(labels))}
	for i, l := range labels {
		d.classes[i] = class{label: l}
		for _, ig := range cfg.Ignore {
			if strings.EqualFold(l, ig) {
				d.classes[i].ignored = true
			}
		}
	}
	return d
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Observe takes the probabilities of the frame at stream time pts (seconds)
// captured at ts, and returns the events it completes, in order.
//
// Between two frames the model's input is taken to change half-way: the
// previous frame's probability holds over the first half of the interval
// and this frame's over the second. Each class's score follows the exact
// first-order low-pass response to that input, and the moment it crosses a
// threshold is solved for within the interval rather than rounded to a
// frame, so the same curve and the same crossing times come out whatever
// the frame rate.
func (d *Decider) Observe(pts float64, ts time.Time, probs []float32) []Event {
	now := point{pts, ts}
	prev := d.last
	if prev != nil && pts < prev.pts {
		prev = &point{pts, ts} // time went back: no interval to cross in
	}
	d.last = &now
	var out []Event
	for i := range d.classes {
		c := &d.classes[i]
		var x float64
		if i < len(probs) {
			x = float64(probs[i])
		}
		var tr trajectory
		if prev == nil {
			tr = trajectory{s0: x, mid: x, s1: x, t0: now, t1: now}
		} else {
			tr = d.evolve(c.score, c.input, x, *prev, now)
		}
		c.score, c.input = tr.s1, x
		if c.ignored {
			continue
		}
		if c.ev == nil {
			out = d.whileClosed(c, tr, now, out)
		} else {
			out = d.whileOpen(c, tr, now, out)
		}
	}
	return out
}

// trajectory is a score's path over one interval: s0 at t0, mid half-way,
// s1 at t1. Each half is monotonic.
type trajectory struct {
	s0, mid, s1 float64
	xa, xb      float64 // the input over the first and the second half
	t0, t1      point
	tau         float64
}

func (d *Decider) evolve(s0, xa, xb float64, t0, t1 point) trajectory {
	tr := trajectory{s0: s0, xa: xa, xb: xb, t0: t0, t1: t1, tau: d.cfg.SmoothingS}
	h := (t1.pts - t0.pts) / 2
	decay := 0.0
	if tr.tau > 0 {
		decay = math.Exp(-h / tr.tau)
	}
	tr.mid = xa + (s0-xa)*decay
	tr.s1 = xb + (tr.mid-xb)*decay
	return tr
}

// crossing returns the last moment within the interval at which the score
// crosses thr, or t1 if it does not.
func (tr trajectory) crossing(thr float64) point {
	h := (tr.t1.pts - tr.t0.pts) / 2
	side := func(s float64) bool { return s > thr }
	at := func(base float64, from, x float64) point {
		off := h / 2 // no smoothing: the step itself, half-way along
		if tr.tau > 0 && from != x && (thr-x)/(from-x) > 0 {
			off = math.Min(h, math.Max(0, tr.tau*math.Log((from-x)/(thr-x))))
		}
		if tr.tau == 0 {
			off = 0 // the input steps at the start of its half
		}
		pts := base + off
		return point{pts, tr.t0.ts.Add(time.Duration((pts - tr.t0.pts) / (tr.t1.pts - tr.t0.pts) *
			float64(tr.t1.ts.Sub(tr.t0.ts))))}
	}
	switch {
	case tr.t1.pts <= tr.t0.pts:
		return tr.t1
	case side(tr.mid) != side(tr.s1):
		return at(tr.t0.pts+h, tr.mid, tr.xb)
	case side(tr.s0) != side(tr.mid):
		return at(tr.t0.pts, tr.s0, tr.xa)
	}
	return tr.t1
}

func (d *Decider) whileClosed(c *class, tr trajectory, now point, out []Event) []Event {
	if c.score <= d.cfg.Enter {
		c.above = nil
		return out
	}
	if c.above == nil {
		at := tr.crossing(d.cfg.Enter)
		c.above = &at
	}
	if now.pts-c.above.pts < d.cfg.MinDurationS {
		return out
	}
	c.ev = &open{id: d.cfg.NewID(), start: *c.above, lastUpdate: now.pts}
	c.above, c.below = nil, nil
	return append(out, Event{ID: c.ev.id, Type: TypeStart, Label: c.label, Score: c.score,
		StartPTS: c.ev.start.pts, StartTS: c.ev.start.ts, DurationS: now.pts - c.ev.start.pts})
}

func (d *Decider) whileOpen(c *class, tr trajectory, now point, out []Event) []Event {
	c.ev.sum += c.score
	c.ev.n++
	if c.score < d.cfg.Exit {
		if c.below == nil {
			at := tr.crossing(d.cfg.Exit)
			c.below = &at
		}
		if now.pts-c.below.pts >= d.cfg.MinGapS {
			return append(out, d.end(c, *c.below, ReasonChanged))
		}
	} else {
		c.below = nil
	}
	if d.cfg.UpdateIntervalS > 0 && now.pts-c.ev.lastUpdate >= d.cfg.UpdateIntervalS {
		c.ev.lastUpdate = now.pts
		c.ev.updates++
		out = append(out, Event{ID: c.ev.id, Type: TypeUpdate, Label: c.label, Score: c.ev.mean(c.score),
			StartPTS: c.ev.start.pts, StartTS: c.ev.start.ts, DurationS: now.pts - c.ev.start.pts,
			Update: c.ev.updates})
	}
	return out
}

func (e *open) mean(current float64) float64 {
	if e.n == 0 {
		return current
	}
	return e.sum / float64(e.n)
}

func (d *Decider) end(c *class, at point, reason string) Event {
	e := Event{ID: c.ev.id, Type: TypeEnd, Label: c.label, Score: c.ev.mean(c.score),
		StartPTS: c.ev.start.pts, StartTS: c.ev.start.ts, EndPTS: at.pts, EndTS: at.ts,
		DurationS: at.pts - c.ev.start.pts, Reason: reason}
	c.ev, c.above, c.below = nil, nil, nil
	return e
}

// EndAll ends every open event for reason: at the first frame of a run
// below Exit if one is under way, else at the last frame seen. The
// smoothing restarts with the next frame, as after Reset.
func (d *Decider) EndAll(reason string) []Event {
	var out []Event
	for i := range d.classes {
		c := &d.classes[i]
		if c.ev == nil {
			continue
		}
		at := c.ev.start
		if d.last != nil {
			at = *d.last
		}
		if c.below != nil {
			at = *c.below
		}
		out = append(out, d.end(c, at, reason))
	}
	d.Reset()
	return out
}

// Reset forgets the smoothed scores and pending runs (not open events: end
// them first with EndAll); the next frame starts afresh.
func (d *Decider) Reset() {
	for i := range d.classes {
		c := &d.classes[i]
		c.score, c.input, c.above, c.below = 0, 0, nil, nil
	}
	d.last = nil
}

// Current returns the label with the highest smoothed score, that score,
// and the id of that label's open event ("" if none).
func (d *Decider) Current() (label string, score float64, eventID string) {
	best := -1
	for i := range d.classes {
		if best < 0 || d.classes[i].score > d.classes[best].score {
			best = i
		}
	}
	if best < 0 || d.last == nil {
		return "", 0, ""
	}
	c := &d.classes[best]
	if c.ev != nil {
		eventID = c.ev.id
	}
	return c.label, c.score, eventID
}

// Open reports how many events are open.
func (d *Decider) Open() int {
	n := 0
	for i := range d.classes {
		if d.classes[i].ev != nil {
			n++
		}
	}
	return n
}
