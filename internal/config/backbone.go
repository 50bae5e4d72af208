package config

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Backbone holds the model.* keys that configure the CNN backbone. They
// sit beside model.backbone in the YAML.
type Backbone struct {
	// FeatureMode is what the backbone gives the classifier: global (the
	// pooled vector), grid (the spatial map pooled to Grid x Grid cells,
	// keeping coarse layout) or map (the whole spatial map).
	FeatureMode string `yaml:"feature_mode"`
	// Grid is the number of cells per side in grid mode.
	Grid int `yaml:"grid"`
	// InputSize is the network input [width, height]; required for an
	// .onnx file, taken from the manifest for an installed backbone.
	InputSize []int `yaml:"input_size"`
	// Each input value is ((pixel - mean[c]) * scale) / std[c], channels in
	// the model's order (RGB when swap_rb is true, frames being BGR).
	// Zero/empty keep the backbone's own (1/255, 0, 1, true).
	Scale  float64   `yaml:"scale"`
	Mean   []float64 `yaml:"mean"`
	Std    []float64 `yaml:"std"`
	SwapRB *bool     `yaml:"swap_rb"`
	// Outputs name the output tensors of an .onnx file: the first is read
	// in global mode, the second (else the first) in grid and map modes.
	Outputs []string `yaml:"outputs"`
	// Threads sizes OpenCV's thread pool; 0 means one per core.
	Threads int `yaml:"threads"`
	// BatchSize is the most frames of different streams run in one forward
	// pass; BatchWait how long a partial batch waits for more.
	BatchSize int           `yaml:"batch_size"`
	BatchWait time.Duration `yaml:"batch_wait"`
	// Engine runs the backbone: auto (ONNX Runtime when its library is
	// installed, else OpenCV), onnxruntime (an error without it) or opencv.
	Engine string `yaml:"engine"`
	// Sessions is how many engines (ONNX Runtime sessions or OpenCV nets)
	// run frames in parallel. 0 (auto): on ONNX Runtime one single-thread
	// session per core (per `threads` cores when threads is set); on
	// OpenCV one net.
	Sessions int `yaml:"sessions"`
}

func defaultBackbone() Backbone {
	return Backbone{FeatureMode: "global", Grid: 2, BatchSize: 1, BatchWait: 5 * time.Millisecond, Engine: "auto"}
}

// validateBackbone checks the backbone keys of m.
func validateBackbone(m Model, bad func(key string, val any, why string)) {
	b := m.Features
	isFile := strings.HasSuffix(strings.ToLower(m.Backbone), ".onnx")
	switch b.FeatureMode {
	case "global", "grid", "map":
	default:
		bad("model.feature_mode", b.FeatureMode, "must be global, grid or map")
	}
	if b.Grid < 1 || b.Grid > 64 {
		bad("model.grid", b.Grid, "must be between 1 and 64")
	}
	switch {
	case len(b.InputSize) == 0 && isFile:
		bad("model.input_size", b.InputSize, "is required with an .onnx backbone ([width, height])")
	case len(b.InputSize) != 0 && len(b.InputSize) != 2:
		bad("model.input_size", b.InputSize, "must be [width, height]")
	case len(b.InputSize) == 2 && (b.InputSize[0] < 1 || b.InputSize[1] < 1 || b.InputSize[0] > 4096 || b.InputSize[1] > 4096):
		bad("model.input_size", b.InputSize, "must be between 1 and 4096 on each side")
	}
	if b.Scale < 0 || math.IsNaN(b.Scale) || math.IsInf(b.Scale, 0) {
		bad("model.scale", b.Scale, "must be a positive number (0 keeps the backbone's own)")
	}
	if len(b.Mean) != 0 && len(b.Mean) != 3 {
		bad("model.mean", b.Mean, "must have three values")
	}
	if len(b.Std) != 0 && len(b.Std) != 3 {
		bad("model.std", b.Std, "must have three values")
	}
	for _, s := range b.Std {
		if s == 0 || math.IsNaN(s) {
			bad("model.std", b.Std, "must not contain zero")
			break
		}
	}
	if isFile && len(b.Outputs) == 0 {
		bad("model.outputs", b.Outputs, "is required with an .onnx backbone (the output tensor names)")
	}
	for _, o := range b.Outputs {
		if strings.TrimSpace(o) == "" {
			bad("model.outputs", b.Outputs, "must not contain empty names")
			break
		}
	}
	if b.Threads < 0 || b.Threads > 256 {
		bad("model.threads", b.Threads, "must be between 0 (one per core) and 256")
	}
	if b.BatchSize < 1 || b.BatchSize > 64 {
		bad("model.batch_size", b.BatchSize, "must be between 1 and 64")
	}
	if b.Sessions < 0 || b.Sessions > 16 {
		bad("model.sessions", b.Sessions, "must be between 0 (auto) and 16")
	}
	switch b.Engine {
	case "auto", "onnxruntime", "opencv":
	default:
		bad("model.engine", b.Engine, "must be auto, onnxruntime or opencv")
	}
	if b.BatchWait < 0 || b.BatchWait > time.Second {
		bad("model.batch_wait", fmt.Sprint(b.BatchWait), "must be between 0 and 1s")
	}
}
