package pipeline

import (
	"context"
	"errors"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/ingest"
)

// slowExtractor writes a frame's first pixel into its vector after a random
// delay, so that frames run in parallel finish out of order. It counts the
// extractions running at once. The delay is the fault a real backbone does
// not give on demand.
type slowExtractor struct {
	parallel int
	running  *atomic.Int32
	most     *atomic.Int32
	closed   *atomic.Int32
	mu       sync.Mutex
	rng      *rand.Rand
}

func (s *slowExtractor) Name() string  { return "slow" }
func (s *slowExtractor) Dim() int      { return 2 }
func (s *slowExtractor) Parallel() int { return s.parallel }
func (s *slowExtractor) Close() error  { s.closed.Add(1); return nil }

func (s *slowExtractor) Extract(img gocv.Mat, dst []float32) error {
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		m := s.most.Load()
		if n <= m || s.most.CompareAndSwap(m, n) {
			break
		}
	}
	s.mu.Lock()
	d := time.Duration(s.rng.Intn(3000)) * time.Microsecond
	s.mu.Unlock()
	time.Sleep(d)
	v := img.GetUCharAt(0, 0)
	if v == 13 {
		return errors.New("frame 13 is bad")
	}
	dst[0], dst[1] = float32(v), float32(d)
	return nil
}

// TestPipelinedExtraction: with a backbone that runs three frames at once,
// a stream keeps three in extraction and still hands the worker every frame
// in the queue's order with its own features; errors stay with their
// frame; stopping releases the extra extractors.
func TestPipelinedExtraction(t *testing.T) {
	var running, most, closed atomic.Int32
	newEx := func() (features.Extractor, error) {
		return &slowExtractor{parallel: 3, running: &running, most: &most, closed: &closed,
			rng: rand.New(rand.NewSource(int64(closed.Load())))}, nil
	}
	first, _ := newEx()
	q := ingest.NewQueue(4)
	const frames = 60
	go func() {
		for i := 1; i <= frames; i++ {
			m := gocv.NewMatWithSize(2, 2, gocv.MatTypeCV8UC1)
			m.SetUCharAt(0, 0, uint8(i))
			if err := q.PutWait(context.Background(), ingest.Frame{Mat: m, Seq: uint64(i)}); err != nil {
				t.Error(err)
				return
			}
		}
		q.Close()
	}()
	fetch := newFetcher(q, first, newEx)
	if _, ok := fetch.(*pipelined); !ok {
		t.Fatalf("a backbone running 3 frames at once got a %T", fetch)
	}
	for want := uint64(1); ; want++ {
		it, err := fetch.next()
		if errors.Is(err, errIdle) {
			t.Fatal("idle while frames were queued")
		}
		if err != nil {
			if want != frames+1 {
				t.Fatalf("ended after frame %d of %d: %v", want-1, frames, err)
			}
			break
		}
		if it.f.Seq != want {
			t.Fatalf("frame %d came when %d was due", it.f.Seq, want)
		}
		if want == 13 {
			if it.err == nil {
				t.Error("frame 13's error was lost")
			}
		} else if it.err != nil || it.feat[0] != float32(want) {
			t.Errorf("frame %d: features %v, error %v", want, it.feat, it.err)
		}
		fetch.release(it)
	}
	fetch.stop()
	if m := most.Load(); m < 2 || m > 3 {
		t.Errorf("at most %d extractions ran at once, want 2-3", m)
	}
	if c := closed.Load(); c != 2 {
		t.Errorf("%d extra extractors closed, want 2", c)
	}
}

// TestPipelinedStop: stopping while frames are still coming ends every
// goroutine and closes the frames in flight.
func TestPipelinedStop(t *testing.T) {
	var running, most, closed atomic.Int32
	newEx := func() (features.Extractor, error) {
		return &slowExtractor{parallel: 2, running: &running, most: &most, closed: &closed,
			rng: rand.New(rand.NewSource(1))}, nil
	}
	first, _ := newEx()
	q := ingest.NewQueue(2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for i := 1; ctx.Err() == nil; i++ {
			// PutWait closes the frame when it fails.
			_ = q.PutWait(ctx, ingest.Frame{Mat: gocv.NewMatWithSize(2, 2, gocv.MatTypeCV8UC1), Seq: uint64(i)})
		}
	}()
	fetch := newFetcher(q, first, newEx)
	for range 5 {
		it, err := fetch.next()
		if err != nil {
			t.Fatal(err)
		}
		fetch.release(it)
	}
	done := make(chan struct{})
	go func() { fetch.stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not return")
	}
	cancel()
	<-fed
	q.Discard()
	if running.Load() != 0 {
		t.Errorf("%d extractions still running after stop", running.Load())
	}
}
