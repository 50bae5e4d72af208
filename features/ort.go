package features

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// Engines that can run an ONNX backbone.
const (
	// EngineAuto uses ONNX Runtime when its library is installed, else
	// OpenCV.
	EngineAuto = "auto"
	// EngineORT is ONNX Runtime, loaded at run time from RuntimeLib.
	EngineORT = "onnxruntime"
	// EngineOpenCV is OpenCV's DNN module: no extra library.
	EngineOpenCV = "opencv"
)

// ErrRuntime is returned when ONNX Runtime cannot be loaded or run.
var ErrRuntime = errors.New("features: onnx runtime")

// ortEnv is the process-wide ONNX Runtime environment: the library is
// loaded once, from one path.
var ortEnv struct {
	mu   sync.Mutex
	path string
}

func initORT(lib string) error {
	ortEnv.mu.Lock()
	defer ortEnv.mu.Unlock()
	if ortEnv.path != "" {
		if ortEnv.path != lib {
			return fmt.Errorf("%w: already loaded from %s, not %s", ErrRuntime, ortEnv.path, lib)
		}
		return nil
	}
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(); err != nil {
		// Nothing stays loaded: a later call may try another file.
		return fmt.Errorf("%w: cannot load %s: %v", ErrRuntime, lib, err)
	}
	ortEnv.path = lib
	return nil
}

// openEngine returns the engine the config asks for. Under EngineAuto a
// missing or unusable ONNX Runtime falls back to OpenCV, and the reason is
// kept in cfg.fallback for the caller to log.
func openEngine(cfg ONNXConfig) (engine, error) {
	switch cfg.Engine {
	case "", EngineOpenCV:
		return newCVEngine(cfg.Path, cfg.Output, 3, cfg.Height, cfg.Width, cfg.BatchSize)
	case EngineORT, EngineAuto:
		e, err := newORTEngine(cfg)
		if err == nil {
			return e, nil
		}
		if cfg.Engine == EngineORT {
			return nil, err
		}
		cv, cvErr := newCVEngine(cfg.Path, cfg.Output, 3, cfg.Height, cfg.Width, cfg.BatchSize)
		if cvErr != nil {
			return nil, cvErr
		}
		cv.fallback = err.Error()
		return cv, nil
	}
	return nil, fmt.Errorf("features: unknown engine %q (auto, onnxruntime or opencv)", cfg.Engine)
}

// ortEngine runs the network with ONNX Runtime. Tensors are created once
// per batch size and reused; the preprocessing writes straight into the
// input tensor's memory.
type ortEngine struct {
	sess    *ort.DynamicAdvancedSession
	ins     []*ort.Tensor[float32]
	outs    []*ort.Tensor[float32]
	shape   []int64 // of the output, without the batch
	last    int     // batch of the last forward
	c, h, w int
	in, out [1]ort.Value
}

func newORTEngine(cfg ONNXConfig) (*ortEngine, error) {
	if cfg.RuntimeLib == "" {
		return nil, fmt.Errorf("%w: library not installed (activityctl models fetch onnxruntime)", ErrRuntime)
	}
	if err := initORT(cfg.RuntimeLib); err != nil {
		return nil, err
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRuntime, err)
	}
	defer opts.Destroy()
	threads := cfg.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	// Idle pool threads must not spin: OpenCV decodes and resizes on the
	// same cores.
	if err := errors.Join(opts.SetIntraOpNumThreads(threads), opts.SetInterOpNumThreads(1),
		opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"),
		opts.AddSessionConfigEntry("session.inter_op.allow_spinning", "0")); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRuntime, err)
	}
	ins, outs, err := ort.GetInputOutputInfoWithOptions(cfg.Path, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrRuntime, cfg.Path, err)
	}
	if len(ins) != 1 {
		return nil, fmt.Errorf("%w: %s has %d inputs", ErrRuntime, cfg.Path, len(ins))
	}
	e := &ortEngine{c: 3, h: cfg.Height, w: cfg.Width}
	for _, o := range outs {
		if o.Name == cfg.Output {
			e.shape = append([]int64(nil), o.Dimensions[1:]...)
		}
	}
	if e.shape == nil {
		return nil, fmt.Errorf("%w: %s: %q is not a graph output (ONNX Runtime serves graph outputs only)", ErrRuntime, cfg.Path, cfg.Output)
	}
	for _, d := range e.shape {
		if d < 1 {
			return nil, fmt.Errorf("%w: %s: output %s has a symbolic dimension besides the batch", ErrRuntime, cfg.Path, cfg.Output)
		}
	}
	e.sess, err = ort.NewDynamicAdvancedSession(cfg.Path, []string{ins[0].Name}, []string{cfg.Output}, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrRuntime, cfg.Path, err)
	}
	e.ins = make([]*ort.Tensor[float32], cfg.BatchSize)
	e.outs = make([]*ort.Tensor[float32], cfg.BatchSize)
	return e, nil
}

func (e *ortEngine) name() string { return EngineORT }

func (e *ortEngine) tensors(n int) error {
	if e.ins[n-1] != nil {
		return nil
	}
	in, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(n), int64(e.c), int64(e.h), int64(e.w)))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRuntime, err)
	}
	out, err := ort.NewEmptyTensor[float32](append(ort.Shape{int64(n)}, e.shape...))
	if err != nil {
		_ = in.Destroy()
		return fmt.Errorf("%w: %v", ErrRuntime, err)
	}
	e.ins[n-1], e.outs[n-1] = in, out
	return nil
}

func (e *ortEngine) input(n int) ([]float32, error) {
	if err := e.tensors(n); err != nil {
		return nil, err
	}
	return e.ins[n-1].GetData(), nil
}

func (e *ortEngine) forward(n int) ([]float32, error) {
	if err := e.tensors(n); err != nil {
		return nil, err
	}
	e.last = n
	e.in[0], e.out[0] = e.ins[n-1], e.outs[n-1]
	if err := e.sess.Run(e.in[:], e.out[:]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRuntime, err)
	}
	return e.outs[n-1].GetData(), nil
}

func (e *ortEngine) outShape() []int {
	shape := []int{e.last}
	for _, d := range e.shape {
		shape = append(shape, int(d))
	}
	return shape
}

func (e *ortEngine) close() {
	for i := range e.ins {
		if e.ins[i] != nil {
			_ = e.ins[i].Destroy()
			_ = e.outs[i].Destroy()
		}
	}
	if e.sess != nil {
		_ = e.sess.Destroy()
	}
}
