package features

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"gocv.io/x/gocv"

	"github.com/activityd/activityd/features/modelstore"
)

func runtimeLib(t testing.TB) string {
	t.Helper()
	lib, err := modelstore.RuntimePath(modelstore.SearchDirs(""))
	if err != nil || lib == "" {
		t.Skipf("ONNX Runtime not installed (run `make models`): %v", err)
	}
	return lib
}

// TestEngineParity runs the same frames through OpenCV DNN and ONNX
// Runtime: the pooled features agree within 1e-4 absolute, for a batch of
// one and a batch of three.
func TestEngineParity(t *testing.T) {
	in := installed(t)
	lib := runtimeLib(t)
	cvCfg := mobilenetConfig(in, modelstore.OutputPooled, ModeGlobal)
	cvCfg.BatchSize = 3
	ortCfg := cvCfg
	ortCfg.Engine, ortCfg.RuntimeLib, ortCfg.Threads = EngineORT, lib, 2
	cv, rt := openONNX(t, cvCfg), openONNX(t, ortCfg)
	if cv.Engine() != EngineOpenCV || rt.Engine() != EngineORT {
		t.Fatalf("engines %s %s", cv.Engine(), rt.Engine())
	}
	for _, seed := range []int{1, 2, 3} {
		frame := synthFrame(t, seed, 200)
		a, b := make([]float32, cv.Dim()), make([]float32, rt.Dim())
		ea, _ := cv.NewExtractor()
		eb, _ := rt.NewExtractor()
		if err := errors.Join(ea.Extract(frame, a), eb.Extract(frame, b)); err != nil {
			t.Fatal(err)
		}
		var worst float64
		for i := range a {
			if d := float64(a[i] - b[i]); d > worst || -d > worst {
				worst = max(d, -d)
			}
		}
		t.Logf("image %d: largest |opencv - onnxruntime| %.2g", seed, worst)
		if worst > 1e-4 {
			t.Errorf("image %d: engines differ by %.3g", seed, worst)
		}
		_, _ = ea.Close(), eb.Close()
		_ = frame.Close()
	}
	// A batch of three through ONNX Runtime (symbolic batch dimension)
	// gives each frame the vector it gets alone. The batcher is idle, so
	// running a batch here does not race with it.
	frames := []int{1, 2, 3}
	batch := make([]*request, len(frames))
	for i, seed := range frames {
		f := synthFrame(t, seed, 200)
		defer f.Close()
		batch[i] = &request{img: f, dst: make([]float32, rt.Dim())}
	}
	if err := rt.run(rt.lanes[0], batch); err != nil {
		t.Fatal(err)
	}
	ex, _ := rt.NewExtractor()
	defer ex.Close()
	for i, r := range batch {
		alone := make([]float32, rt.Dim())
		if err := ex.Extract(r.img, alone); err != nil {
			t.Fatal(err)
		}
		if e := relErr(r.dst, toF64(alone)); e > 1e-5 {
			t.Errorf("batch item %d differs from the frame alone by %.3g", i, e)
		}
	}
}

// TestAutoSessions: sessions 0 on ONNX Runtime opens one single-thread
// session per core (per `threads` cores when threads is set), and frames
// from several streams at once come back right from each of them.
func TestAutoSessions(t *testing.T) {
	in := installed(t)
	lib := runtimeLib(t)
	cfg := mobilenetConfig(in, modelstore.OutputPooled, ModeGlobal)
	cfg.Engine, cfg.RuntimeLib = EngineAuto, lib
	for threads, want := range map[int]int{0: runtime.NumCPU(), 1: runtime.NumCPU(), 2: max(runtime.NumCPU()/2, 1), 64: 1} {
		cfg.Threads = threads
		b := openONNX(t, cfg)
		if b.Engine() != EngineORT || b.Sessions() != want {
			t.Errorf("threads %d: engine %s with %d sessions, want onnxruntime with %d", threads, b.Engine(), b.Sessions(), want)
		}
	}
	cfg.Threads = 0
	b := openONNX(t, cfg)
	frames := make([]gocv.Mat, 4)
	alone := make([][]float32, len(frames))
	ex, _ := b.NewExtractor()
	for i := range frames {
		frames[i] = synthFrame(t, i+1, 200)
		defer frames[i].Close()
		alone[i] = make([]float32, b.Dim())
		if err := ex.Extract(frames[i], alone[i]); err != nil {
			t.Fatal(err)
		}
	}
	_ = ex.Close()
	var wg sync.WaitGroup
	errs := make([]error, len(frames))
	for i := range frames {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ex, _ := b.NewExtractor()
			defer ex.Close()
			got := make([]float32, b.Dim())
			for range 20 {
				if err := ex.Extract(frames[i], got); err != nil {
					errs[i] = err
					return
				}
				if e := relErr(got, toF64(alone[i])); e > 1e-5 {
					errs[i] = fmt.Errorf("stream %d: differs from the frame alone by %.3g", i, e)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Error(err)
	}
}

// TestEngineFallback: engine auto without the library serves with OpenCV
// and says why; engine onnxruntime without it is an error.
func TestEngineFallback(t *testing.T) {
	in := installed(t)
	cfg := mobilenetConfig(in, modelstore.OutputPooled, ModeGlobal)
	cfg.Engine, cfg.RuntimeLib = EngineAuto, ""
	b := openONNX(t, cfg)
	if b.Engine() != EngineOpenCV || !strings.Contains(b.Fallback(), "not installed") {
		t.Errorf("engine %s, fallback %q", b.Engine(), b.Fallback())
	}
	if b.Sessions() != 1 {
		t.Errorf("auto sessions after a fallback to OpenCV: %d nets, want 1", b.Sessions())
	}
	cfg.Engine = EngineORT
	if _, err := OpenONNX(t.Context(), cfg); !errors.Is(err, ErrRuntime) {
		t.Errorf("onnxruntime without a library: %v", err)
	}
}

// TestCorruptRuntime: a damaged library file is a clear error under
// onnxruntime and a fallback under auto; the process lives on.
func TestCorruptRuntime(t *testing.T) {
	in := installed(t)
	// The runtime is loaded once per process: check in a fresh one.
	if os.Getenv("ACTIVITYD_CORRUPT_RUNTIME_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCorruptRuntime$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "ACTIVITYD_CORRUPT_RUNTIME_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestCorruptRuntime") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "refused:") {
				t.Log(strings.TrimSpace(l))
			}
		}
		return
	}
	bad := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	if err := os.WriteFile(bad, []byte("\x7fELF not really a library"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := mobilenetConfig(in, modelstore.OutputPooled, ModeGlobal)
	cfg.Engine, cfg.RuntimeLib = EngineORT, bad
	_, err := OpenONNX(t.Context(), cfg)
	if !errors.Is(err, ErrRuntime) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("corrupt library: %v", err)
	}
	t.Logf("refused: %v", err)
	cfg.Engine = EngineAuto
	b := openONNX(t, cfg)
	if b.Engine() != EngineOpenCV || b.Fallback() == "" {
		t.Errorf("auto with a corrupt library: engine %s fallback %q", b.Engine(), b.Fallback())
	}
}
