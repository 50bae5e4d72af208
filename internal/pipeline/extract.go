package pipeline

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/ingest"
)

// Parallel is implemented by extractors whose backbone runs several frames
// at once (an ONNX backbone with several sessions): a stream then keeps up
// to Parallel() frames in extraction, so that one fast source (a file read
// as fast as it decodes) uses every session, not one at a time.
type Parallel interface {
	Parallel() int
}

// extracted is a frame with its features, or the error extracting them.
type extracted struct {
	f    ingest.Frame
	feat []float32
	took time.Duration
	err  error
	done chan struct{} // closed when feat and err are set
}

// errIdle: no frame came within idleTick.
var errIdle = errors.New("pipeline: idle")

// fetcher hands the worker the next frame with its features, in the
// queue's order. next returns errIdle when nothing came within idleTick
// and another error when the queue is closed and drained. release gives
// an item's buffer back once the worker is done with it.
type fetcher interface {
	next() (*extracted, error)
	release(*extracted)
	stop()
}

// newFetcher extracts one frame at a time with ex, or, when ex's backbone
// runs frames in parallel, keeps that many in flight with as many
// extractors made by newEx.
func newFetcher(q *ingest.Queue, ex features.Extractor, newEx NewExtractor) fetcher {
	n := 1
	if p, ok := ex.(Parallel); ok {
		n = min(p.Parallel(), 8)
	}
	exs := []features.Extractor{ex}
	for len(exs) < n {
		more, err := newEx()
		if err != nil {
			break
		}
		exs = append(exs, more)
	}
	if len(exs) == 1 {
		return &serialFetcher{q: q, ex: ex, it: extracted{feat: make([]float32, ex.Dim())}}
	}
	return startPipelined(q, exs)
}

// serialFetcher extracts each frame in the worker's goroutine.
type serialFetcher struct {
	q  *ingest.Queue
	ex features.Extractor
	it extracted
}

func (s *serialFetcher) next() (*extracted, error) {
	ctx, cancel := context.WithTimeout(context.Background(), idleTick)
	f, err := s.q.Get(ctx)
	cancel()
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, errIdle
	}
	if err != nil {
		return nil, err
	}
	s.it.f = f
	t0 := time.Now()
	s.it.err = s.ex.Extract(f.Mat, s.it.feat)
	s.it.took = time.Since(t0)
	f.Close()
	return &s.it, nil
}

func (s *serialFetcher) release(*extracted) {}
func (s *serialFetcher) stop()              {}

// pipelined reads the queue in its own goroutine and hands each frame to
// whichever of its extracting goroutines (one per extractor) is free; the
// worker takes the results in the queue's order.
type pipelined struct {
	items  chan *extracted // in queue order
	free   chan []float32  // feature buffers
	quit   chan struct{}
	wg     sync.WaitGroup
	extras []features.Extractor // made here, closed by stop
	once   sync.Once
}

func startPipelined(q *ingest.Queue, exs []features.Extractor) *pipelined {
	n := len(exs)
	p := &pipelined{items: make(chan *extracted, n), free: make(chan []float32, 2*n+1),
		quit: make(chan struct{}), extras: exs[1:]}
	for range cap(p.free) {
		p.free <- make([]float32, exs[0].Dim())
	}
	// Whichever extractor is free takes the next frame.
	work := make(chan *extracted)
	for _, ex := range exs {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for it := range work {
				t0 := time.Now()
				it.err = ex.Extract(it.f.Mat, it.feat)
				it.took = time.Since(t0)
				it.f.Close()
				close(it.done)
			}
		}()
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(p.items)
		defer close(work)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-p.quit:
				cancel()
			case <-ctx.Done():
			}
		}()
		for {
			var buf []float32
			select {
			case buf = <-p.free:
			case <-p.quit:
				return
			}
			f, err := q.Get(ctx)
			if err != nil {
				return
			}
			it := &extracted{f: f, feat: buf, done: make(chan struct{})}
			select {
			case work <- it:
			case <-p.quit:
				f.Close()
				return
			}
			select {
			case p.items <- it:
			case <-p.quit:
				return
			}
		}
	}()
	return p
}

func (p *pipelined) next() (*extracted, error) {
	t := time.NewTimer(idleTick)
	defer t.Stop()
	select {
	case it, ok := <-p.items:
		if !ok {
			return nil, ingest.ErrQueueClosed
		}
		<-it.done
		return it, nil
	case <-t.C:
		return nil, errIdle
	}
}

func (p *pipelined) release(it *extracted) {
	select {
	case p.free <- it.feat:
	default:
	}
}

// stop ends the reading and extracting goroutines and closes the
// extractors made for them; frames still queued stay in the queue.
func (p *pipelined) stop() {
	p.once.Do(func() {
		close(p.quit)
		// Let extractions in flight finish so that their extractors
		// and frames are released by their own goroutines.
		go func() {
			for range p.items {
			}
		}()
		p.wg.Wait()
		for _, ex := range p.extras {
			_ = ex.Close()
		}
	})
}
