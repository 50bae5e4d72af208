package daemon

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/internal/config"
)

// openBackbone opens the configured backbone: the descriptor, an installed
// backbone (STATE_DIR/models or the user cache) or an .onnx file, which is
// probed in a child process before it is served.
func openBackbone(ctx context.Context, cfg config.Config, log *zap.Logger, observe func(int, time.Duration)) (features.Backbone, error) {
	m, b := cfg.Model, cfg.Model.Features
	o := features.Options{
		Observe:  observe,
		Backbone: m.Backbone, StateDir: cfg.StateDir, Mode: b.FeatureMode, Grid: b.Grid,
		Scale: b.Scale, Mean: b.Mean, Std: b.Std, SwapRB: b.SwapRB, Outputs: b.Outputs,
		Threads: b.Threads, BatchSize: b.BatchSize, BatchWait: b.BatchWait, Engine: b.Engine,
		Sessions: b.Sessions,
	}
	if len(b.InputSize) == 2 {
		o.Width, o.Height = b.InputSize[0], b.InputSize[1]
	}
	bb, err := features.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	if x, ok := bb.(*features.ONNX); ok {
		fields := []zap.Field{zap.String("backbone", x.Name()), zap.String("engine", x.Engine()),
			zap.Int("sessions", x.Sessions()), zap.Int("dim", x.Dim())}
		if why := x.Fallback(); why != "" {
			fields = append(fields, zap.String("fallback", why))
		}
		log.Info("backbone ready", fields...)
	}
	return bb, nil
}
