package daemon

import (
	"context"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/internal/config"
)

// openBackbone opens the configured backbone: the descriptor, an installed
// backbone (STATE_DIR/models or the user cache) or an .onnx file, which is
// probed in a child process before it is served.
func openBackbone(ctx context.Context, cfg config.Config) (features.Backbone, error) {
	m, b := cfg.Model, cfg.Model.Features
	o := features.Options{
		Backbone: m.Backbone, StateDir: cfg.StateDir, Mode: b.FeatureMode, Grid: b.Grid,
		Scale: b.Scale, Mean: b.Mean, Std: b.Std, SwapRB: b.SwapRB, Outputs: b.Outputs,
		Threads: b.Threads, BatchSize: b.BatchSize, BatchWait: b.BatchWait,
	}
	if len(b.InputSize) == 2 {
		o.Width, o.Height = b.InputSize[0], b.InputSize[1]
	}
	return features.Open(ctx, o)
}
