package daemon

import (
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/activityd/activityd/ingest"
	"github.com/activityd/activityd/internal/config"
	"github.com/activityd/activityd/internal/decide"
	"github.com/activityd/activityd/internal/pipeline"
	"github.com/activityd/activityd/publisher"
)

// publisherConfig maps the nats section onto the publisher. The outbox
// lives in state_dir/outbox.
func publisherConfig(cfg config.Config, url string, reg prometheus.Registerer) publisher.Config {
	n := cfg.NATS
	return publisher.Config{
		URL: url, Name: n.Name, Prefix: n.SubjectPrefix,
		Auth: publisher.Auth{Token: n.Token, User: n.User, Password: n.Password,
			NKeySeedFile: n.NKeySeedFile, CredsFile: n.CredsFile,
			TLSCA: n.TLS.CA, TLSCert: n.TLS.Cert, TLSKey: n.TLS.Key},
		Stream: n.JetStream.Stream, Retention: n.JetStream.Retention, MaxAge: n.JetStream.MaxAge,
		MaxBytes: n.JetStream.MaxBytes, Duplicates: n.JetStream.Duplicates,
		KVBucket:  n.KVBucket,
		OutboxDir: filepath.Join(cfg.StateDir, "outbox"), OutboxMaxMessages: n.Outbox.MaxMessages,
		OutboxMaxBytes: n.Outbox.MaxBytes,
		Metrics:        publisher.NewMetrics(reg),
	}
}

// outputConfig maps the frames, clips and events keys onto the pipeline.
func outputConfig(cfg config.Config) pipeline.OutputConfig {
	e := cfg.Events
	return pipeline.OutputConfig{
		Frames: cfg.NATS.Frames.Enabled, FrameMaxRate: cfg.NATS.Frames.MaxRate,
		Clips: cfg.NATS.Clips.Enabled, ClipWindowS: cfg.NATS.Clips.WindowS,
		Events: decide.Config{SmoothingS: e.SmoothingS, Enter: e.Enter, Exit: e.Exit,
			MinDurationS: e.MinDurationS, MinGapS: e.MinGapS, UpdateIntervalS: e.UpdateIntervalS,
			Ignore: e.Ignore},
		EventTimeout:   time.Duration(e.TimeoutS * float64(time.Second)),
		Backbone:       cfg.Model.Backbone,
		StreamDefaults: ingest.Config{FPS: 5, QueueSize: 4, Realtime: true},
	}
}
