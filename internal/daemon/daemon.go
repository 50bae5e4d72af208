package daemon

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/ingest"
	"github.com/activityd/activityd/internal/config"
	"github.com/activityd/activityd/internal/observability"
	"github.com/activityd/activityd/internal/pipeline"
	"github.com/activityd/activityd/publisher"
	"github.com/activityd/activityd/rnn"
)

// untrainedLabels name the classes of the placeholder classifier used when
// no model file is configured: its outputs carry no meaning.
var untrainedLabels = []string{"untrained_0", "untrained_1", "untrained_2", "untrained_3"}

// Run starts the daemon and blocks until ctx is cancelled (nil) or a part
// fails (an error). Start order: model and backbone (so that a bad one is
// refused before anything listens), NATS, publisher, HTTP, pipeline.
// Stop order, the reverse, and why:
//  1. sources stop first, so no new frames enter;
//  2. each worker analyses what is still queued and publishes it;
//  3. the HTTP endpoint closes;
//  4. the publisher drains, so every published label reaches the server;
//  5. the embedded server, if any, shuts down last.
func Run(ctx context.Context, cfg config.Config, log *zap.Logger) error {
	model, err := loadClassifier(cfg.Model)
	if err != nil {
		return err
	}
	newEx := func() (features.Extractor, error) { return features.New(cfg.Model.Backbone) }

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	streams := make([]ingest.Config, len(cfg.Streams))
	for i, s := range cfg.Streams {
		streams[i] = ingest.Config{ID: s.ID, URL: s.URL, FPS: s.FPS, Loop: s.Loop, Realtime: s.IsRealtime(),
			QueueSize: s.QueueSize}
	}
	pl, err := pipeline.New(pipeline.Config{
		Streams: streams, TopK: cfg.Model.TopK,
		Model: model, NewExtractor: newEx, Metrics: pipeline.NewMetrics(reg),
	}, log)
	if err != nil {
		return err
	}

	natsURL := cfg.NATS.URL
	var embedded *server.Server
	if natsURL == "" {
		embedded, err = publisher.StartEmbedded(publisher.EmbeddedConfig{
			Listen:   cfg.NATS.Listen,
			StoreDir: filepath.Join(cfg.StateDir, "jetstream"),
		}, log)
		if err != nil {
			return err
		}
		defer func() {
			embedded.Shutdown()
			embedded.WaitForShutdown()
			log.Info("embedded nats-server stopped")
		}()
		natsURL = embedded.ClientURL()
		log.Info("embedded nats-server ready", zap.String("url", natsURL),
			zap.String("watch", fmt.Sprintf("nats sub '%s.>' -s %s", cfg.NATS.SubjectPrefix, natsURL)))
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	pub, err := publisher.Connect(cctx, publisher.Config{URL: natsURL, Name: cfg.NATS.Name, Prefix: cfg.NATS.SubjectPrefix}, log)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer func() {
		if err := pub.Close(cfg.Pipeline.ShutdownTimeout); err != nil {
			log.Warn("nats drain", zap.Error(err))
		}
	}()
	pl.SetSink(pub)

	var hsrv *observability.Server
	if cfg.HTTP.Listen != "" {
		hsrv, err = observability.Listen(cfg.HTTP.Listen, reg,
			func() error { return nil },
			func() error {
				if !pub.Conn().IsConnected() {
					return errors.New("nats not connected")
				}
				return nil
			})
		if err != nil {
			return err
		}
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	httpDone := make(chan error, 1)
	if hsrv != nil {
		go func() { httpDone <- hsrv.Run(runCtx) }()
		log.Info("http listening", zap.String("addr", hsrv.Addr()))
	} else {
		close(httpDone)
	}

	log.Info("activityd started", zap.Int("streams", len(cfg.Streams)), zap.String("model", model.Name),
		zap.String("backbone", cfg.Model.Backbone))
	// Run returns once every source has stopped and its queue is flushed:
	// on cancel, or when every file has ended. A daemon keeps serving
	// (NATS, health) until it is told to stop.
	if err := pl.Run(runCtx); err != nil {
		log.Error("streams stopped with errors", zap.Error(err))
	}
	if ctx.Err() == nil {
		log.Info("every source has stopped; waiting for a signal")
		<-ctx.Done()
	}
	log.Info("activityd stopping")
	stop()
	if err := <-httpDone; err != nil {
		log.Warn("http server", zap.Error(err))
	}
	return nil
}

func loadClassifier(m config.Model) (*rnn.Model, error) {
	if m.Classifier == "" {
		dim := features.DescriptorDim
		if m.Backbone != features.DescriptorName {
			return nil, fmt.Errorf("model.classifier: required with backbone %q", m.Backbone)
		}
		r := rnn.NewRandom(rnn.CellGRU, dim, 32, 1, untrainedLabels, 1)
		r.Name = "untrained-gru"
		return r, nil
	}
	return nil, fmt.Errorf("model.classifier %q: loading model files is not implemented yet", m.Classifier)
}
