package pipeline

import (
	"context"
	"math"
	"time"

	"go.uber.org/zap"

	"github.com/activityd/activityd/ingest"
	"github.com/activityd/activityd/internal/decide"
	"github.com/activityd/activityd/publisher"
	"github.com/activityd/activityd/rnn"
)

// DurableSink is a Sink that also takes window labels, events, source
// states and the current state of each stream (the publisher is one).
type DurableSink interface {
	Sink
	Clip(m *publisher.ClipMsg) error
	Event(m *publisher.EventMsg) error
	Status(m *publisher.StatusMsg, model string) error
	SetCurrent(c publisher.Current)
}

// OutputConfig says what each stream publishes besides frame labels.
type OutputConfig struct {
	// Frames turns frame messages on; FrameMaxRate caps them per stream
	// per second of wall time (0: every frame).
	Frames       bool
	FrameMaxRate float64
	// Clips turns window messages on. A many-to-one model's own windows
	// are used; for a many-to-many model the per-frame probabilities are
	// averaged over ClipWindowS seconds of stream time.
	Clips       bool
	ClipWindowS float64
	// Events configures the event logic; EventTimeout ends open events
	// when no frame has been analysed for that long (0: never).
	Events       decide.Config
	EventTimeout time.Duration
	// Backbone names the feature extractor in model.info replies.
	Backbone string
	// StreamDefaults fills the unset fields of streams added at run time.
	StreamDefaults ingest.Config
}

// moment is a frame's stream time and wall-clock time.
type moment struct {
	pts float64
	ts  time.Time
}

// resetReq asks a worker to clear its stream's hidden state; done is
// closed once it has.
type resetReq struct{ done chan struct{} }

// output is a worker's publishing stage: frame labels, windows, events and
// the KV state. It belongs to the worker's goroutine.
type output struct {
	stream string
	model  *rnn.Model
	sink   Sink
	dsink  DurableSink // nil when the sink takes frames only
	cfg    OutputConfig
	log    *zap.Logger
	ctx    context.Context
	h      *handle // nil when the stream was not started by Run

	dec       *decide.Decider
	windower  *rnn.Windower // many-to-one models only
	winProbs  []float32
	recent    []moment  // the last Window frames, for a window's start
	lastFrame time.Time // wall time of the last analysed frame
	lastSent  time.Time // wall time of the last frame message
	lastTS    time.Time
	lastPTS   float64
	// lost says the source was lost (reconnecting, offline or ended) and
	// its open events are still to end: the queue may still hold frames
	// captured before the loss, and they are analysed first.
	lost bool

	clip struct {
		open     bool
		seq      uint64
		startPTS float64
		startTS  time.Time
		frames   int
		sum      []float64
	}
	cur publisher.Current
}

func (p *Pipeline) newOutput(ctx context.Context, stream string, model *rnn.Model, log *zap.Logger) *output {
	o := &output{stream: stream, model: model, sink: p.cfg.Sink, cfg: p.cfg.Output, log: log, ctx: ctx,
		h: p.dyn.get(stream)}
	o.dsink, _ = p.cfg.Sink.(DurableSink)
	o.dec = decide.New(o.cfg.Events, o.model.Labels)
	if o.model.IsManyToOne() {
		o.windower = rnn.NewWindower(o.model)
		o.winProbs = make([]float32, o.model.Classes())
	}
	o.clip.sum = make([]float64, o.model.Classes())
	o.cur = publisher.Current{Stream: stream, State: string(ingest.StateConnecting)}
	return o
}

// poll handles what arrives between frames: reset requests, source state
// changes and the event timeout. It runs in the worker's goroutine, which
// owns state.
func (o *output) poll(state *rnn.State) {
	if o.h != nil {
		for {
			select {
			case r := <-o.h.reset:
				state.Reset()
				o.resetWindows()
				o.log.Info("hidden state reset on request")
				close(r.done)
				continue
			case st := <-o.h.status:
				o.sourceState(st)
				continue
			default:
			}
			break
		}
	}
	if o.cfg.EventTimeout > 0 && !o.lastFrame.IsZero() && time.Since(o.lastFrame) > o.cfg.EventTimeout &&
		o.dec.Open() > 0 {
		o.events(o.dec.EndAll(decide.ReasonTimeout))
		o.updateCurrent("")
	}
}

func (o *output) resetWindows() {
	if o.windower != nil {
		o.windower.Reset()
	}
	o.recent = o.recent[:0]
	o.clip.open = false
}

// sourceState notes a lost source; its open events end once the frames
// captured before the loss are analysed (endLost).
func (o *output) sourceState(st ingest.Status) {
	switch st.State {
	case ingest.StateReconnecting, ingest.StateOffline, ingest.StateEnded:
		o.lost = true
	}
	o.updateCurrent(string(st.State))
}

// endLost ends the open events of a lost source. The worker calls it when
// the queue has run dry (idle), before the first frame of a new connection
// (a discontinuity) and when the stream finishes, so that the last frames
// before a loss still count, and an event does not end before them only
// to open again on them.
func (o *output) endLost() {
	if !o.lost {
		return
	}
	o.lost = false
	o.events(o.dec.EndAll(decide.ReasonSourceLost))
	o.resetWindows()
	o.updateCurrent("")
}

// frame publishes what one analysed frame gives: its label, a window when
// one completes, events, and the current state.
func (o *output) frame(f *ingest.Frame, feat, probs []float32, msg *publisher.FrameMsg) {
	o.lastFrame = time.Now()
	ts := f.Captured.UTC()
	pts := f.PTS.Seconds()
	o.lastTS, o.lastPTS = ts, pts
	if f.Discontinuity {
		o.endLost()
		o.resetWindows()
	}
	if o.windower != nil {
		// A many-to-one model labels windows, not frames.
		if n := max(o.model.Window, 1); len(o.recent) == n {
			copy(o.recent, o.recent[1:])
			o.recent = o.recent[:n-1]
		}
		o.recent = append(o.recent, moment{pts, ts})
		if o.windower.Push(feat, o.winProbs) {
			o.window(pts, ts, o.winProbs)
		}
		return
	}
	if o.cfg.Frames && (o.cfg.FrameMaxRate <= 0 || time.Since(o.lastSent).Seconds() >= 1/o.cfg.FrameMaxRate) {
		o.lastSent = time.Now()
		if err := o.sink.Frame(msg); err != nil {
			o.log.Debug("frame publish failed", zap.Error(err))
		}
	}
	o.accumulate(pts, ts, probs)
	o.events(o.dec.Observe(pts, ts, probs))
	o.updateCurrent("")
}

// window handles a many-to-one window ending at this frame: its start is
// the first of the window's frames.
func (o *output) window(pts float64, ts time.Time, probs []float32) {
	o.clip.seq++
	start := o.recent[0]
	o.publishClip(o.clip.seq, start.pts, start.ts, pts, ts, len(o.recent), probs)
	o.events(o.dec.Observe(pts, ts, probs))
	o.updateCurrent("")
}

// accumulate averages a many-to-many model's probabilities over windows of
// ClipWindowS seconds of stream time, aligned to the first frame.
func (o *output) accumulate(pts float64, ts time.Time, probs []float32) {
	if !o.cfg.Clips || o.dsink == nil {
		return
	}
	c := &o.clip
	w := o.cfg.ClipWindowS
	if c.open && pts >= c.startPTS+w-1e-9 {
		avg := make([]float32, len(c.sum))
		for i, s := range c.sum {
			avg[i] = float32(s / float64(c.frames))
		}
		c.seq++
		end := c.startTS.Add(time.Duration(w * float64(time.Second)))
		o.publishClip(c.seq, c.startPTS, c.startTS, c.startPTS+w, end, c.frames, avg)
		// The next window starts where this one ended, or here after a gap.
		next := c.startPTS + w
		if pts-next >= w {
			next = pts
		}
		c.open, c.startPTS = true, next
		c.startTS = ts.Add(-time.Duration((pts - next) * float64(time.Second)))
		c.frames = 0
		clear(c.sum)
	}
	if !c.open {
		c.open, c.startPTS, c.startTS, c.frames = true, pts, ts, 0
		clear(c.sum)
	}
	for i, p := range probs {
		c.sum[i] += float64(p)
	}
	c.frames++
}

func (o *output) publishClip(seq uint64, startPTS float64, startTS time.Time, endPTS float64, endTS time.Time,
	frames int, probs []float32) {
	if !o.cfg.Clips || o.dsink == nil {
		return
	}
	top := TopK(probs, max(1, len(probs)))
	k := min(len(top), 5)
	m := &publisher.ClipMsg{Stream: o.stream, Seq: seq, StartTS: startTS.UTC(), EndTS: endTS.UTC(),
		StartPTS: round6(startPTS), EndPTS: round6(endPTS), Frames: frames, Model: o.model.Name,
		TopK: make([]publisher.Scored, k)}
	for i := 0; i < k; i++ {
		m.TopK[i] = publisher.Scored{Label: o.model.Labels[top[i]], Score: float64(probs[top[i]])}
	}
	m.Label, m.Score = m.TopK[0].Label, m.TopK[0].Score
	if err := o.dsink.Clip(m); err != nil {
		o.log.Warn("clip not stored", zap.Error(err))
	}
}

func (o *output) events(evs []decide.Event) {
	if o.dsink == nil {
		return
	}
	for _, e := range evs {
		m := &publisher.EventMsg{ID: e.ID, Type: e.Type, Stream: o.stream, Label: e.Label, Score: e.Score,
			StartTS: e.StartTS.UTC(), DurationS: round6(e.DurationS), Model: o.model.Name,
			StartPTS: round6(e.StartPTS), Update: e.Update}
		if e.Type == decide.TypeEnd {
			end, endPTS := e.EndTS.UTC(), round6(e.EndPTS)
			m.EndTS, m.EndPTS, m.Reason = &end, &endPTS, e.Reason
		}
		if err := o.dsink.Event(m); err != nil {
			o.log.Error("event not stored", zap.String("event", m.ID), zap.String("type", m.Type), zap.Error(err))
		}
	}
}

// updateCurrent writes the KV value when the label, the event or the
// source state changes.
func (o *output) updateCurrent(state string) {
	if o.dsink == nil {
		return
	}
	label, score, id := o.dec.Current()
	c := o.cur
	if state != "" {
		c.State = state
	}
	if label != "" {
		c.Label, c.Score = label, round6(score)
	}
	c.EventID = id
	if c.Label == o.cur.Label && c.EventID == o.cur.EventID && c.State == o.cur.State && !o.cur.Updated.IsZero() {
		return
	}
	c.Updated = time.Now().UTC()
	o.cur = c
	o.dsink.SetCurrent(c)
}

// finish ends the stream's open events: shutdown when the daemon stops or
// the stream is removed, source_lost when the source ended by itself.
func (o *output) finish() {
	if o.h != nil {
	drain:
		for {
			select {
			case st := <-o.h.status:
				o.sourceState(st)
			default:
				break drain
			}
		}
	}
	o.endLost()
	reason := decide.ReasonSourceLost
	if o.ctx.Err() != nil {
		reason = decide.ReasonShutdown
		if r := o.h.stopReason(); r != "" {
			reason = r
		}
	}
	o.events(o.dec.EndAll(reason))
	o.updateCurrent("")
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
