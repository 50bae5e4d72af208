package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/ingest"
	"github.com/activityd/activityd/publisher"
	"github.com/activityd/activityd/rnn"
)

// Sink receives what the pipeline produces.
type Sink interface {
	Frame(m *publisher.FrameMsg) error
}

// NewExtractor makes one extractor per stream.
type NewExtractor func() (features.Extractor, error)

// Config is what the pipeline needs besides its streams.
type Config struct {
	Streams      []ingest.Config
	TopK         int
	Model        *rnn.Model
	NewExtractor NewExtractor
	Sink         Sink
	Metrics      *Metrics
	Output       OutputConfig
	Snapshots    SnapshotConfig

	wantTopK int // TopK as configured, before it is capped by the model
}

// Pipeline runs every stream until its context ends.
type Pipeline struct {
	cfg Config
	log *zap.Logger
	dyn dynamic

	mu     sync.Mutex
	status map[string]ingest.Status
	beats  map[string]*atomic.Int64 // each running worker's last loop, unix ns
	total  atomic.Uint64            // frames analysed by all streams
}

// idleTick is how often a worker with nothing to do still shows it is alive.
const idleTick = time.Second

// New checks that the extractor and the model fit together and returns a
// pipeline.
func New(cfg Config, log *zap.Logger) (*Pipeline, error) {
	if err := CheckModel(cfg.Model, cfg.NewExtractor); err != nil {
		return nil, err
	}
	cfg.wantTopK = cfg.TopK
	if cfg.TopK > cfg.Model.Classes() {
		cfg.TopK = cfg.Model.Classes()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	return &Pipeline{cfg: cfg, log: log, status: map[string]ingest.Status{}, beats: map[string]*atomic.Int64{}}, nil
}

// Analysed returns how many frames all streams have analysed so far.
func (p *Pipeline) Analysed() uint64 { return p.total.Load() }

// Stalled returns the streams whose worker has not come round its loop for
// longer than limit: wedged in feature extraction or publishing. A worker
// waiting for frames still comes round every second.
func (p *Pipeline) Stalled(limit time.Duration) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	now := time.Now().UnixNano()
	for id, b := range p.beats {
		if time.Duration(now-b.Load()) > limit {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (p *Pipeline) heartbeat(stream string) *atomic.Int64 {
	b := new(atomic.Int64)
	b.Store(time.Now().UnixNano())
	p.mu.Lock()
	p.beats[stream] = b
	p.mu.Unlock()
	return b
}

func (p *Pipeline) forget(stream string) {
	p.mu.Lock()
	delete(p.beats, stream)
	p.mu.Unlock()
}

// SetSink sets where labels go. Call it before Run.
func (p *Pipeline) SetSink(s Sink) { p.cfg.Sink = s }

// Statuses returns each stream's latest source status, sorted by stream.
func (p *Pipeline) Statuses() []ingest.Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]ingest.Status, 0, len(p.status))
	for _, s := range p.status {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stream < out[j].Stream })
	return out
}

func (p *Pipeline) setStatus(st ingest.Status) {
	p.mu.Lock()
	p.status[st.Stream] = st
	p.mu.Unlock()
	p.log.Info("source state", zap.String("stream", st.Stream), zap.String("state", string(st.State)), zap.String("reason", st.Reason))
	p.onStatus(st)
}

func (p *Pipeline) runStream(ctx context.Context, sc ingest.Config, model *rnn.Model, newEx NewExtractor, topK int) error {
	log := p.log.With(zap.String("stream", sc.ID))
	ex, err := newEx()
	if err != nil {
		return err
	}
	defer ex.Close()
	q := ingest.NewQueue(sc.QueueSize)
	src := ingest.NewSource(sc, q, log)
	src.OnStatus = p.setStatus

	srcErr := make(chan error, 1)
	go func() { srcErr <- src.Run(ctx) }()

	w := worker{stream: sc.ID, model: model, ex: ex, newEx: newEx, sink: p.cfg.Sink, topK: topK,
		log: log, metrics: p.cfg.Metrics, beat: p.heartbeat(sc.ID), total: &p.total,
		out: p.newOutput(ctx, sc.ID, model, log), snap: p.cfg.Snapshots, url: sc.URL}
	w.run(q)
	p.forget(sc.ID)
	err = <-srcErr
	if err != nil {
		log.Error("source failed", zap.Error(err))
		return fmt.Errorf("stream %s: %w", sc.ID, err)
	}
	return nil
}

// worker is one stream's analysis loop. It owns the stream's hidden state.
type worker struct {
	stream  string
	model   *rnn.Model
	ex      features.Extractor
	newEx   NewExtractor // for more extractors when ex's backbone is Parallel
	sink    Sink
	topK    int
	log     *zap.Logger
	metrics *Metrics
	beat    *atomic.Int64
	total   *atomic.Uint64
	out     *output
	snap    SnapshotConfig
	url     string
}

func (w *worker) run(q *ingest.Queue) {
	probs := make([]float32, w.model.Classes())
	state := w.model.NewState()
	analysed := w.metrics.analysed.WithLabelValues(w.stream)
	queueDrops := w.metrics.dropped.WithLabelValues(w.stream, "queue_full")
	var lastWarn time.Time
	var counted uint64 // queue drops already added to the metric
	// A state restored from before a restart carries on over the source's
	// first frame, which is always flagged as a discontinuity.
	keepOnce := w.restoreState(state)
	var lastPTS float64
	defer func() {
		// Stopping with the daemon (not removed, not restarted): keep
		// the state for the next start.
		if w.out.ctx.Err() != nil && w.out.h.stopReason() == "" {
			if err := w.snap.save(w.stream, w.url, w.model, state, lastPTS); err != nil {
				w.log.Warn("hidden state not saved", zap.Error(err))
			}
		}
	}()
	defer w.out.finish()
	fetch := newFetcher(q, w.ex, w.newEx)
	defer fetch.stop()
	for {
		w.out.poll(state)
		// The queue is closed by the source when it stops: reading until
		// then flushes what was captured.
		w.beat.Store(time.Now().UnixNano())
		if d := q.Dropped(); d > counted {
			queueDrops.Add(float64(d - counted))
			counted = d
		}
		it, err := fetch.next()
		if errors.Is(err, errIdle) {
			// Everything captured so far is analysed: a lost source's
			// events end now.
			w.out.endLost()
			continue
		}
		if err != nil {
			return
		}
		f := &it.f
		if f.Discontinuity && !keepOnce {
			state.Reset()
		}
		keepOnce = false
		lastPTS = f.PTS.Seconds()
		w.metrics.extract.Observe(it.took.Seconds())
		if it.err != nil {
			if time.Since(lastWarn) > time.Second {
				w.log.Warn("feature extraction failed", zap.Error(it.err))
				lastWarn = time.Now()
			}
			fetch.release(it)
			continue
		}
		t1 := time.Now()
		w.model.Step(state, it.feat, probs)
		w.metrics.step.Observe(time.Since(t1).Seconds())
		w.out.frame(f, it.feat, probs, w.message(f, probs))
		w.metrics.latency.Observe(time.Since(f.Captured).Seconds())
		fetch.release(it)
		analysed.Inc()
		w.total.Add(1)
	}
}

func (w *worker) message(f *ingest.Frame, probs []float32) *publisher.FrameMsg {
	top := TopK(probs, w.topK)
	m := &publisher.FrameMsg{
		Stream: w.stream,
		Seq:    f.Seq,
		TS:     f.Captured.UTC(),
		PTS:    f.PTS.Seconds(),
		Model:  w.model.Name,
		TopK:   make([]publisher.Scored, len(top)),
	}
	for i, c := range top {
		m.TopK[i] = publisher.Scored{Label: w.model.Labels[c], Score: float64(probs[c])}
	}
	m.Label, m.Score = m.TopK[0].Label, m.TopK[0].Score
	m.LatencyMS = float64(time.Since(f.Captured).Microseconds()) / 1000
	return m
}

// TopK returns the indices of the k largest probabilities, best first.
func TopK(probs []float32, k int) []int {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] > probs[idx[b]] })
	if k > len(idx) {
		k = len(idx)
	}
	return idx[:k]
}
