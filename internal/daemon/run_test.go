package daemon

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/activityd/activityd/internal/config"
)

// running is a daemon started in the background by a test.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

// start runs the daemon with cfg until stop.
func start(t *testing.T, cfg config.Config, log *zap.Logger, opts Options) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- RunWith(ctx, cfg, log, opts) }()
	return r
}

// exited returns Run's error if the daemon has stopped by itself.
func (r *running) exited() (error, bool) {
	select {
	case err := <-r.done:
		r.done <- err
		return err, true
	default:
		return nil, false
	}
}

// stop cancels the daemon and fails the test if Run does not return nil
// within 20 s.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("Run did not return 20s after cancel")
	}
}
