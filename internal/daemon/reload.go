package daemon

import (
	"context"
	"reflect"
	"time"

	"go.uber.org/zap"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/ingest"
	"github.com/activityd/activityd/internal/config"
	"github.com/activityd/activityd/internal/observability"
	"github.com/activityd/activityd/internal/pipeline"
	"github.com/activityd/activityd/rnn"
)

// Options are what Run needs beyond the configuration.
type Options struct {
	// Reload delivers a value for each reload request (SIGHUP).
	Reload <-chan struct{}
	// Load re-reads and validates the configuration; nil refuses reloads.
	Load func() (config.Config, error)
}

// reloader applies a new configuration to the running daemon. It is used
// by the main loop's goroutine only.
type reloader struct {
	ctx       context.Context
	cfg       config.Config
	load      func() (config.Config, error)
	log       *zap.Logger
	pl        *pipeline.Pipeline
	notify    *observability.Notifier
	backbone  features.Backbone
	modelSHA  string // sha256 of the classifier file; "" for the untrained model
	ingestMet *ingest.Metrics
	observe   func(int, time.Duration) // backbone forward metrics
}

// streamConfigs maps the configured streams to source configurations.
func streamConfigs(cfg config.Config, m *ingest.Metrics) []ingest.Config {
	out := make([]ingest.Config, len(cfg.Streams))
	for i, s := range cfg.Streams {
		out[i] = ingest.Config{ID: s.ID, URL: s.URL, FPS: s.FPS, Loop: s.Loop, Realtime: s.IsRealtime(),
			QueueSize: s.QueueSize, RTSPTransport: s.RTSPTransport, OpenTimeout: s.OpenTimeout,
			ReadTimeout: s.ReadTimeout, BackoffMin: s.BackoffMin, BackoffMax: s.BackoffMax,
			Width: s.Width, Height: s.Height, CaptureFPS: s.CaptureFPS, FourCC: s.FourCC, Metrics: m}
	}
	return out
}

// classifierSHA identifies the classifier file's content ("" for none).
func classifierSHA(path string) string {
	if path == "" {
		return ""
	}
	sha, err := rnn.FileSHA256(path)
	if err != nil {
		return "unreadable"
	}
	return sha
}

// restartOnly lists the sections that differ between a and b and that a
// running daemon cannot change: they take effect at the next start.
func restartOnly(a, b config.Config) []string {
	var keys []string
	if !reflect.DeepEqual(a.NATS, b.NATS) {
		keys = append(keys, "nats")
	}
	if a.HTTP != b.HTTP {
		keys = append(keys, "http")
	}
	if a.Log != b.Log {
		keys = append(keys, "log")
	}
	if a.Pipeline != b.Pipeline {
		keys = append(keys, "pipeline")
	}
	if !reflect.DeepEqual(a.Events, b.Events) {
		keys = append(keys, "events")
	}
	if a.StateDir != b.StateDir {
		keys = append(keys, "state_dir")
	}
	return keys
}

// reload re-reads the configuration and applies it. An invalid file is
// refused whole. A new classifier or backbone is loaded and checked beside
// the one serving, then swapped; if it fails the old one keeps serving.
// Streams that were added start, removed ones stop (open events end with
// reason removed), changed ones restart (reason reloaded), and unchanged
// ones keep running with their hidden state and open events untouched.
func (r *reloader) reload() {
	r.notify.Reloading()
	defer r.notify.Ready()
	if r.load == nil {
		r.log.Warn("reload refused: the daemon was started without a configuration file")
		return
	}
	next, err := r.load()
	if err != nil {
		r.log.Error("reload refused: invalid configuration; the running one stays", zap.Error(err))
		return
	}
	if keys := restartOnly(r.cfg, next); len(keys) > 0 {
		r.log.Warn("reload: these sections change only at the next start", zap.Strings("sections", keys))
	}

	swapped := false
	sha := classifierSHA(next.Model.Classifier)
	if !reflect.DeepEqual(r.cfg.Model, next.Model) || sha != r.modelSHA {
		if err := r.swapModel(next, sha); err != nil {
			r.log.Error("reload: new model refused; the old one keeps serving", zap.Error(err))
			next.Model = r.cfg.Model
		} else {
			swapped = true
		}
	}

	running := r.pl.StreamConfigs()
	want := streamConfigs(next, r.ingestMet)
	keep := map[string]bool{}
	var added, removed, changed int
	for _, sc := range want {
		keep[sc.ID] = true
		cur, ok := running[sc.ID]
		switch {
		case !ok:
			err = r.pl.StartStream(sc)
			added++
		case !reflect.DeepEqual(cur, sc):
			err = r.pl.RestartStream(sc)
			changed++
		default:
			continue
		}
		if err != nil {
			r.log.Error("reload: stream", zap.String("stream", sc.ID), zap.Error(err))
		}
	}
	for id := range running {
		if !keep[id] {
			removed++
			if err := r.pl.RemoveStream(id); err != nil {
				r.log.Error("reload: stream", zap.String("stream", id), zap.Error(err))
			}
		}
	}
	r.cfg = next
	r.log.Info("configuration reloaded", zap.Int("added", added), zap.Int("removed", removed),
		zap.Int("changed", changed), zap.Int("unchanged", len(want)-added-changed), zap.Bool("model_swapped", swapped))
}

// swapModel loads next's classifier (and its backbone, when the backbone
// settings changed) and swaps them in.
func (r *reloader) swapModel(next config.Config, sha string) error {
	model, err := loadClassifier(next.Model)
	if err != nil {
		return err
	}
	bb := r.backbone
	newBackbone := r.cfg.Model.Backbone != next.Model.Backbone || !reflect.DeepEqual(r.cfg.Model.Features, next.Model.Features)
	if newBackbone {
		if bb, err = openBackbone(r.ctx, next, r.log, r.observe); err != nil {
			return err
		}
	}
	if err := r.pl.SwapModel(model, bb.NewExtractor); err != nil {
		if newBackbone {
			_ = bb.Close()
		}
		return err
	}
	if newBackbone {
		// Every stream has restarted on the new backbone's extractors.
		_ = r.backbone.Close()
		r.backbone = bb
	}
	r.modelSHA = sha
	r.log.Info("model swapped", zap.String("model", model.Name), zap.String("backbone", next.Model.Backbone))
	return nil
}
