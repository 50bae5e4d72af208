package features

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/activityd/activityd/features/modelstore"
)

// TestBatcherRoutes runs four streams with different images through one
// backbone batching up to four frames, and checks that each stream gets
// its own image's vector (the one a batch of one gives) and that frames
// were really batched.
func TestBatcherRoutes(t *testing.T) {
	in := installed(t)
	single := openONNX(t, mobilenetConfig(in, modelstore.OutputPooled, ModeGlobal))
	cfg := mobilenetConfig(in, modelstore.OutputPooled, ModeGlobal)
	cfg.BatchSize, cfg.BatchWait = 4, 200*time.Millisecond
	batched := openONNX(t, cfg)

	const streams, rounds = 4, 3
	frames := make([]gocv.Mat, streams)
	want := make([][]float32, streams)
	ex1, _ := single.NewExtractor()
	for i := range frames {
		// Different sizes too: each frame is resized on its own.
		frames[i] = synthFrame(t, i+1, 160+40*i)
		defer frames[i].Close()
		want[i] = make([]float32, single.Dim())
		if err := ex1.Extract(frames[i], want[i]); err != nil {
			t.Fatal(err)
		}
	}
	_ = ex1.Close()

	exs := make([]Extractor, streams)
	for i := range exs {
		exs[i], _ = batched.NewExtractor()
	}
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := range exs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := make([]float32, batched.Dim())
			for r := 0; r < rounds; r++ {
				if err := exs[i].Extract(frames[i], got); err != nil {
					errs <- err
					return
				}
				if e := relErr(got, toF64(want[i])); e > 1e-5 {
					errs <- fmt.Errorf("stream %d round %d: relative error %.3g to its own image", i, r, e)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n, passes := batched.Stats()
	t.Logf("%d frames in %d forward passes", n, passes)
	if n != streams*rounds || passes >= n {
		t.Errorf("%d frames in %d passes: no batching", n, passes)
	}
	for _, e := range exs {
		_ = e.Close()
	}
	if err := batched.Close(); err != nil {
		t.Fatal(err)
	}
	if err := exs[0].Extract(frames[0], make([]float32, 1280)); err == nil {
		t.Error("extract after close succeeded")
	}
}

// TestExtractNoAllocs checks that the hot path makes no Go allocations.
func TestExtractNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	in := installed(t)
	cfg := mobilenetConfig(in, modelstore.OutputBlock10, ModeGrid)
	b := openONNX(t, cfg)
	ex, _ := b.NewExtractor()
	defer ex.Close()
	frame := synthFrame(t, 1, 240)
	defer frame.Close()
	dst := make([]float32, ex.Dim())
	allocs := testing.AllocsPerRun(5, func() {
		if err := ex.Extract(frame, dst); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame", allocs)
	}
}

func toF64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// TestParallelSessions runs four streams through two engines in parallel
// (ONNX Runtime when installed, else OpenCV): each stream still gets its
// own image's vector.
func TestParallelSessions(t *testing.T) {
	in := installed(t)
	cfg := mobilenetConfig(in, modelstore.OutputPooled, ModeGlobal)
	ref := openONNX(t, cfg)
	cfg.Sessions = 2
	if lib, err := modelstore.RuntimePath(modelstore.SearchDirs("")); err == nil && lib != "" {
		cfg.Engine, cfg.RuntimeLib, cfg.Threads = EngineORT, lib, 1
	}
	par := openONNX(t, cfg)
	if len(par.lanes) != 2 {
		t.Fatalf("%d lanes", len(par.lanes))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		frame := synthFrame(t, i+1, 224)
		defer frame.Close()
		want := make([]float32, ref.Dim())
		ex, _ := ref.NewExtractor()
		if err := ex.Extract(frame, want); err != nil {
			t.Fatal(err)
		}
		_ = ex.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			ex, _ := par.NewExtractor()
			defer ex.Close()
			got := make([]float32, par.Dim())
			for r := 0; r < 3; r++ {
				if err := ex.Extract(frame, got); err != nil {
					errs <- err
					return
				}
				if e := relErr(got, toF64(want)); e > 1e-4 {
					errs <- fmt.Errorf("stream %d: relative error %.3g to its own image", i, e)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, _ := par.Stats(); n != 12 {
		t.Errorf("%d frames analysed, want 12", n)
	}
}
