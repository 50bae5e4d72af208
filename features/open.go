package features

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/activityd/activityd/features/modelstore"
)

// Backbone makes the extractors of every stream. The descriptor gives each
// stream its own; an ONNX backbone shares one network behind a batcher.
type Backbone interface {
	NewExtractor() (Extractor, error)
	Name() string
	Dim() int
	Close() error
}

// Options is the backbone part of the configuration (model.* keys).
type Options struct {
	// Observe, when set, receives each forward pass's batch size and
	// time (ONNX backbones only).
	Observe func(batch int, forward time.Duration)

	// Backbone is "descriptor", an installed backbone's name (such as
	// "mobilenet_v2") or the path of an .onnx file.
	Backbone string
	// StateDir is searched (STATE_DIR/models) for installed backbones.
	StateDir string
	// Mode, Grid: see ModeGlobal, ModeGrid, ModeMap. Empty means global.
	Mode string
	Grid int
	// Input and preprocessing for a user ONNX file; zero values keep an
	// installed backbone's own settings.
	Width, Height int
	Scale         float64
	Mean, Std     []float64
	SwapRB        *bool
	// Outputs name the output tensor(s): the first is read in global mode,
	// the second (or the first) in grid and map modes.
	Outputs []string
	// Threads sizes OpenCV's thread pool (0: one per core).
	Threads int
	// BatchSize and BatchWait: see ONNXConfig.
	BatchSize int
	BatchWait time.Duration
	// Prober overrides the child-process prober.
	Prober *Prober
	// Sessions is how many engines run batches in parallel.
	Sessions int
	// Engine is auto (ONNX Runtime when installed, else OpenCV),
	// onnxruntime or opencv; empty means opencv.
	Engine string
}

type descriptorBackbone struct{}

func (descriptorBackbone) NewExtractor() (Extractor, error) { return NewDescriptor(), nil }
func (descriptorBackbone) Name() string                     { return DescriptorName }
func (descriptorBackbone) Dim() int                         { return DescriptorDim }
func (descriptorBackbone) Close() error                     { return nil }

// Open returns the configured backbone, checked and ready to serve.
func Open(ctx context.Context, o Options) (Backbone, error) {
	if o.Backbone == DescriptorName {
		return descriptorBackbone{}, nil
	}
	SetThreads(o.Threads)
	cfg := ONNXConfig{
		Mode: o.Mode, Grid: o.Grid, BatchSize: o.BatchSize, BatchWait: o.BatchWait, Prober: o.Prober,
		Engine: o.Engine, Threads: o.Threads, Sessions: o.Sessions, Observe: o.Observe,
		Scale: 1.0 / 255, Std: [3]float64{1, 1, 1}, SwapRB: true,
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeGlobal
	}
	if cfg.Mode == ModeGrid && cfg.Grid == 0 {
		cfg.Grid = 2
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 1
	}
	if strings.HasSuffix(strings.ToLower(o.Backbone), ".onnx") || strings.ContainsRune(o.Backbone, '/') {
		cfg.Path = o.Backbone
		if o.Width == 0 || o.Height == 0 {
			return nil, fmt.Errorf("features: backbone %s: model.input_size is required for an ONNX file", o.Backbone)
		}
		if len(o.Outputs) == 0 {
			return nil, fmt.Errorf("features: backbone %s: model.outputs is required for an ONNX file", o.Backbone)
		}
	} else {
		if _, ok := modelstore.Lookup(o.Backbone); !ok {
			return nil, fmt.Errorf("%w %q (known: %s, %s, or a path to an .onnx file)", ErrUnknownBackbone, o.Backbone, DescriptorName, modelstore.MobileNetV2)
		}
		in, err := modelstore.Find(modelstore.SearchDirs(o.StateDir), o.Backbone)
		if err != nil {
			return nil, fmt.Errorf("features: %w", err)
		}
		// A converted model whose digest matches its manifest is what our
		// converter wrote: it needs no probe.
		if err := in.Verify(); err != nil {
			return nil, fmt.Errorf("features: %w (run `activityctl models fetch` again)", err)
		}
		cfg.Trusted = true
		cfg.Name, cfg.Path = in.Manifest.Name, in.Path
		mi := in.Manifest.Input
		cfg.Width, cfg.Height, cfg.Scale, cfg.Mean, cfg.Std, cfg.SwapRB = mi.Width, mi.Height, mi.Scale, mi.Mean, mi.Std, mi.SwapRB
		cfg.Output = modelstore.OutputPooled
		if cfg.Mode != ModeGlobal {
			cfg.Output = modelstore.OutputBlock10
		}
	}
	if o.Width != 0 || o.Height != 0 {
		cfg.Width, cfg.Height = o.Width, o.Height
	}
	if o.Scale != 0 {
		cfg.Scale = o.Scale
	}
	if len(o.Mean) == 3 {
		copy(cfg.Mean[:], o.Mean)
	}
	if len(o.Std) == 3 {
		copy(cfg.Std[:], o.Std)
	}
	if o.SwapRB != nil {
		cfg.SwapRB = *o.SwapRB
	}
	switch {
	case len(o.Outputs) == 1:
		cfg.Output = o.Outputs[0]
	case len(o.Outputs) >= 2 && cfg.Mode == ModeGlobal:
		cfg.Output = o.Outputs[0]
	case len(o.Outputs) >= 2:
		cfg.Output = o.Outputs[1]
	}
	if len(o.Mean) != 0 && len(o.Mean) != 3 || len(o.Std) != 0 && len(o.Std) != 3 {
		return nil, errors.New("features: mean and std take three values")
	}
	if cfg.Engine == EngineAuto || cfg.Engine == EngineORT {
		lib, err := modelstore.RuntimePath(modelstore.SearchDirs(o.StateDir))
		switch {
		case err != nil && cfg.Engine == EngineORT:
			return nil, fmt.Errorf("%w: %v", ErrRuntime, err)
		case err == nil:
			cfg.RuntimeLib = lib
		}
	}
	return OpenONNX(ctx, cfg)
}
