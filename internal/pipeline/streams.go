package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/activityd/activityd/ingest"
	"github.com/activityd/activityd/publisher"
	"github.com/activityd/activityd/rnn"
)

// Errors of the run-time stream operations.
var (
	ErrNotRunning    = errors.New("pipeline: not running")
	ErrStreamExists  = errors.New("pipeline: stream already exists")
	ErrNoSuchStream  = errors.New("pipeline: no such stream")
	ErrStreamStopped = errors.New("pipeline: stream is not running")
)

// handle is one running stream.
type handle struct {
	cfg    ingest.Config
	model  *rnn.Model   // the model the stream started with
	reason atomic.Value // string: why it was stopped, for its open events
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	reset  chan resetReq
	status chan ingest.Status
}

// dynamic is the set of running streams, which control requests change.
type dynamic struct {
	mu      sync.Mutex
	ctx     context.Context // Run's; nil when not running
	handles map[string]*handle
	order   []string
}

// stopReason says why the stream was stopped ("" when it was not stopped
// on purpose). It is safe on a nil handle.
func (h *handle) stopReason() string {
	if h == nil {
		return ""
	}
	r, _ := h.reason.Load().(string)
	return r
}

func (d *dynamic) get(id string) *handle {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.handles[id]
}

// Run runs every configured stream, and those added later, until ctx is
// cancelled; then each source stops, its worker analyses what is still
// queued, ends open events and exits. A stream whose source ends or fails
// stays listed with its state until removed. Run returns the joined
// errors of the streams that failed.
func (p *Pipeline) Run(ctx context.Context) error {
	p.dyn.mu.Lock()
	if p.dyn.ctx != nil {
		p.dyn.mu.Unlock()
		return errors.New("pipeline: already running")
	}
	p.dyn.ctx = ctx
	p.dyn.handles = map[string]*handle{}
	for _, sc := range p.cfg.Streams {
		p.startLocked(sc)
	}
	p.dyn.mu.Unlock()

	<-ctx.Done()

	p.dyn.mu.Lock()
	hs := make([]*handle, 0, len(p.dyn.order))
	for _, id := range p.dyn.order {
		hs = append(hs, p.dyn.handles[id])
	}
	p.dyn.ctx = nil
	p.dyn.mu.Unlock()
	var errs []error
	for _, h := range hs {
		<-h.done
		if h.err != nil {
			errs = append(errs, h.err)
		}
	}
	return errors.Join(errs...)
}

func (p *Pipeline) startLocked(sc ingest.Config) {
	ctx, cancel := context.WithCancel(p.dyn.ctx)
	model, newEx, topK := p.cfg.Model, p.cfg.NewExtractor, p.cfg.TopK
	h := &handle{cfg: sc, model: model, cancel: cancel, done: make(chan struct{}),
		reset: make(chan resetReq, 4), status: make(chan ingest.Status, 16)}
	p.dyn.handles[sc.ID] = h
	p.dyn.order = append(p.dyn.order, sc.ID)
	go func() {
		defer close(h.done)
		defer cancel()
		h.err = p.runStream(ctx, sc, model, newEx, topK)
	}()
}

// onStatus publishes a source's state change and hands it to the
// stream's worker, which ends open events when the source is lost.
func (p *Pipeline) onStatus(st ingest.Status) {
	if ds, ok := p.cfg.Sink.(DurableSink); ok {
		m := &publisher.StatusMsg{Stream: st.Stream, State: string(st.State), Reason: st.Reason, Since: st.Since.UTC()}
		if err := ds.Status(m, p.modelName()); err != nil {
			p.log.Debug("status publish failed", zap.String("stream", st.Stream), zap.Error(err))
		}
	}
	if h := p.dyn.get(st.Stream); h != nil {
		select {
		case h.status <- st:
		default: // the worker is far behind; the state is published anyway
		}
	}
}

// ListStreams describes every stream, in the order they were started.
func (p *Pipeline) ListStreams() []publisher.StreamInfo {
	p.dyn.mu.Lock()
	ids := append([]string(nil), p.dyn.order...)
	cfgs := make(map[string]ingest.Config, len(ids))
	for _, id := range ids {
		cfgs[id] = p.dyn.handles[id].cfg
	}
	p.dyn.mu.Unlock()
	if ids == nil {
		for _, sc := range p.cfg.Streams {
			ids = append(ids, sc.ID)
			cfgs[sc.ID] = sc
		}
	}
	states := map[string]ingest.Status{}
	for _, st := range p.Statuses() {
		states[st.Stream] = st
	}
	out := make([]publisher.StreamInfo, 0, len(ids))
	for _, id := range ids {
		sc, st := cfgs[id], states[id]
		state := string(st.State)
		if state == "" {
			state = string(ingest.StateConnecting)
		}
		out = append(out, publisher.StreamInfo{ID: id, URL: ingest.Redact(sc.URL), FPS: sc.FPS,
			State: state, Reason: ingest.Redact(st.Reason), Since: st.Since.UTC()})
	}
	return out
}

// AddStream starts a stream on the running pipeline.
func (p *Pipeline) AddStream(req publisher.AddStreamRequest) (publisher.StreamInfo, error) {
	d := p.cfg.Output.StreamDefaults
	sc := ingest.Config{ID: req.ID, URL: req.URL, FPS: req.FPS, Loop: req.Loop, Realtime: true,
		QueueSize: req.QueueSize}
	if sc.FPS == 0 {
		sc.FPS = d.FPS
	}
	if sc.FPS == 0 {
		sc.FPS = 5
	}
	if sc.QueueSize == 0 {
		sc.QueueSize = max(d.QueueSize, 1)
	}
	if req.Realtime != nil {
		sc.Realtime = *req.Realtime
	}
	p.dyn.mu.Lock()
	defer p.dyn.mu.Unlock()
	if p.dyn.ctx == nil || p.dyn.ctx.Err() != nil {
		return publisher.StreamInfo{}, ErrNotRunning
	}
	if _, ok := p.dyn.handles[sc.ID]; ok {
		return publisher.StreamInfo{}, fmt.Errorf("%w: %q", ErrStreamExists, sc.ID)
	}
	p.startLocked(sc)
	p.log.Info("stream added", zap.String("stream", sc.ID), zap.String("url", ingest.Redact(sc.URL)))
	return publisher.StreamInfo{ID: sc.ID, URL: ingest.Redact(sc.URL), FPS: sc.FPS,
		State: string(ingest.StateConnecting)}, nil
}

// RemoveStream stops a stream (its open events end with reason removed)
// and forgets it.
func (p *Pipeline) RemoveStream(id string) error {
	return p.removeStream(id, ReasonRemoved, true)
}

// Reasons a stream's open events end when the stream is stopped on purpose.
const (
	ReasonRemoved  = "removed"
	ReasonReloaded = "reloaded"
)

// removeStream stops stream id, ending its open events with reason. With
// announce, the stream's state is published as offline/removed.
func (p *Pipeline) removeStream(id, reason string, announce bool) error {
	p.dyn.mu.Lock()
	h, ok := p.dyn.handles[id]
	if !ok {
		p.dyn.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrNoSuchStream, id)
	}
	delete(p.dyn.handles, id)
	for i, s := range p.dyn.order {
		if s == id {
			p.dyn.order = append(p.dyn.order[:i], p.dyn.order[i+1:]...)
			break
		}
	}
	p.dyn.mu.Unlock()
	h.reason.Store(reason)
	h.cancel()
	select {
	case <-h.done:
	case <-time.After(p.removeTimeout()):
		return fmt.Errorf("pipeline: stream %q did not stop within %s", id, p.removeTimeout())
	}
	p.mu.Lock()
	delete(p.status, id)
	p.mu.Unlock()
	if ds, ok := p.cfg.Sink.(DurableSink); ok && announce {
		_ = ds.Status(&publisher.StatusMsg{Stream: id, State: string(ingest.StateOffline), Reason: "removed",
			Since: time.Now().UTC()}, p.modelName())
		ds.SetCurrent(publisher.Current{Stream: id, State: string(ingest.StateOffline), Updated: time.Now().UTC()})
	}
	p.log.Info("stream stopped", zap.String("stream", id), zap.String("reason", reason))
	return nil
}

// StartStream starts a stream with a full source configuration on the
// running pipeline.
func (p *Pipeline) StartStream(sc ingest.Config) error {
	p.dyn.mu.Lock()
	defer p.dyn.mu.Unlock()
	if p.dyn.ctx == nil || p.dyn.ctx.Err() != nil {
		return ErrNotRunning
	}
	if _, ok := p.dyn.handles[sc.ID]; ok {
		return fmt.Errorf("%w: %q", ErrStreamExists, sc.ID)
	}
	p.startLocked(sc)
	p.log.Info("stream started", zap.String("stream", sc.ID), zap.String("url", ingest.Redact(sc.URL)))
	return nil
}

// RestartStream stops stream sc.ID (its open events end with reason
// reloaded) and starts it again with sc, on the pipeline's current model.
func (p *Pipeline) RestartStream(sc ingest.Config) error {
	if err := p.removeStream(sc.ID, ReasonReloaded, false); err != nil {
		return err
	}
	return p.StartStream(sc)
}

// StreamConfigs returns the source configuration of every running stream.
func (p *Pipeline) StreamConfigs() map[string]ingest.Config {
	p.dyn.mu.Lock()
	defer p.dyn.mu.Unlock()
	out := make(map[string]ingest.Config, len(p.dyn.handles))
	for id, h := range p.dyn.handles {
		out[id] = h.cfg
	}
	return out
}

// CheckModel says whether model and the extractors newEx makes fit
// together (the extractor's vector length is the model's input size).
func CheckModel(model *rnn.Model, newEx NewExtractor) error {
	ex, err := newEx()
	if err != nil {
		return err
	}
	dim, name := ex.Dim(), ex.Name()
	_ = ex.Close()
	if dim != model.InputSize {
		return fmt.Errorf("pipeline: backbone %s gives %d features but the classifier %s takes %d",
			name, dim, model.Name, model.InputSize)
	}
	return nil
}

// SwapModel replaces the model and the extractor factory once they are
// checked to fit, then restarts every running stream on them: a hidden
// state belongs to the model that computed it, so each stream starts
// afresh and its open events end with reason reloaded. An error means the
// model does not fit, and nothing changed.
func (p *Pipeline) SwapModel(model *rnn.Model, newEx NewExtractor) error {
	if err := CheckModel(model, newEx); err != nil {
		return err
	}
	p.dyn.mu.Lock()
	p.cfg.Model, p.cfg.NewExtractor = model, newEx
	p.cfg.TopK = min(max(p.cfg.wantTopK, 1), model.Classes())
	ids := append([]string(nil), p.dyn.order...)
	cfgs := make([]ingest.Config, len(ids))
	for i, id := range ids {
		cfgs[i] = p.dyn.handles[id].cfg
	}
	p.dyn.mu.Unlock()
	for _, sc := range cfgs {
		if err := p.RestartStream(sc); err != nil {
			p.log.Error("restart on the new model", zap.String("stream", sc.ID), zap.Error(err))
		}
	}
	return nil
}

func (p *Pipeline) modelName() string {
	p.dyn.mu.Lock()
	defer p.dyn.mu.Unlock()
	return p.cfg.Model.Name
}

func (p *Pipeline) removeTimeout() time.Duration { return 15 * time.Second }

// ResetStream clears a stream's hidden state. The worker that owns the
// state does it between two frames; ResetStream waits until it has.
func (p *Pipeline) ResetStream(id string) error {
	h := p.dyn.get(id)
	if h == nil {
		return fmt.Errorf("%w: %q", ErrNoSuchStream, id)
	}
	r := resetReq{done: make(chan struct{})}
	select {
	case h.reset <- r:
	case <-h.done:
		return fmt.Errorf("%w: %q", ErrStreamStopped, id)
	default:
		return fmt.Errorf("pipeline: stream %q has resets pending", id)
	}
	select {
	case <-r.done:
		return nil
	case <-h.done:
		return fmt.Errorf("%w: %q", ErrStreamStopped, id)
	case <-time.After(5 * time.Second):
		return fmt.Errorf("pipeline: stream %q did not reset within 5s", id)
	}
}

// ModelInfo describes the served model.
func (p *Pipeline) ModelInfo() publisher.ModelInfo {
	p.dyn.mu.Lock()
	m := p.cfg.Model
	p.dyn.mu.Unlock()
	mode := "many_to_many"
	if m.IsManyToOne() {
		mode = "many_to_one"
	}
	labels := append([]string(nil), m.Labels...)
	return publisher.ModelInfo{Name: m.Name, Cell: string(m.Cell), Mode: mode, InputSize: m.InputSize,
		HiddenSize: m.HiddenSize, Layers: len(m.Layers), Window: m.Window, Labels: labels,
		Backbone: p.cfg.Output.Backbone}
}
