package daemon

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
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
//  2. each worker analyses what is still queued, publishes it and ends its
//     open events (reason shutdown), which go to the outbox;
//  3. the HTTP endpoint closes;
//  4. the publisher sends the outbox to JetStream while NATS is reachable
//     (what remains is sent at the next start) and drains, so every
//     published label reaches the server;
//  5. the embedded server, if any, shuts down last.
func Run(ctx context.Context, cfg config.Config, log *zap.Logger) error {
	return RunWith(ctx, cfg, log, Options{})
}

// RunWith is Run with reloads: each value from opts.Reload re-reads the
// configuration with opts.Load and applies it (see reloader.reload).
func RunWith(ctx context.Context, cfg config.Config, log *zap.Logger, opts Options) error {
	model, err := loadClassifier(cfg.Model)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	plMetrics := pipeline.NewMetrics(reg)
	backbone, err := openBackbone(ctx, cfg, log, plMetrics.ObserveForward)
	if err != nil {
		return err
	}
	rl := &reloader{ctx: ctx, cfg: cfg, load: opts.Load, log: log, backbone: backbone,
		modelSHA: classifierSHA(cfg.Model.Classifier), observe: plMetrics.ObserveForward}
	defer func() { _ = rl.backbone.Close() }() // after the pipeline has stopped
	newEx := backbone.NewExtractor

	ingestMetrics := ingest.NewMetrics(reg)
	streams := streamConfigs(cfg, ingestMetrics)
	pl, err := pipeline.New(pipeline.Config{
		Streams: streams, TopK: cfg.Model.TopK,
		Model: model, NewExtractor: newEx, Metrics: plMetrics,
		Output: outputConfig(cfg), Snapshots: snapshotConfig(cfg),
	}, log)
	if err != nil {
		return err
	}
	rl.pl, rl.ingestMet = pl, ingestMetrics

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
	pub, err := publisher.Connect(cctx, publisherConfig(cfg, natsURL, reg), log)
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
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "activityd_publisher_nats_connected",
		Help: "1 while the NATS connection is up, 0 while it is reconnecting.",
	}, func() float64 {
		if pub.Conn().IsConnected() {
			return 1
		}
		return 0
	}))
	if cfg.NATS.Ctl.Enabled {
		if _, err := pub.ServeControl(pl); err != nil {
			return fmt.Errorf("control service: %w", err)
		}
	}

	var lastLoop atomic.Int64 // the main loop's last tick, unix ns
	lastLoop.Store(time.Now().UnixNano())
	var hsrv *observability.Server
	if cfg.HTTP.Listen != "" {
		hsrv, err = observability.Listen(cfg.HTTP.Listen, reg,
			func() error { return alive(lastLoop.Load(), pl, cfg.Pipeline.StallTimeout) },
			func() error { return ready(pub, pl) })
		if err != nil {
			return err
		}
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	httpCtx, httpStop := context.WithCancel(context.Background())
	defer httpStop()
	httpDone := make(chan error, 1)
	if hsrv != nil {
		go func() { httpDone <- hsrv.Run(httpCtx) }()
		log.Info("http listening", zap.String("addr", hsrv.Addr()))
	} else {
		close(httpDone)
	}

	log.Info("activityd started", zap.Int("streams", len(cfg.Streams)), zap.String("model", model.Name),
		zap.String("backbone", cfg.Model.Backbone))
	plEnded := make(chan struct{})
	go func() {
		defer close(plEnded)
		if err := pl.Run(runCtx); err != nil {
			log.Error("streams stopped with errors", zap.Error(err))
		}
	}()
	notify := observability.NewNotifier()
	rl.notify = notify
	notify.Ready()
	mainLoop(ctx, cfg, log, pl, notify, &lastLoop, plEnded, opts.Reload, rl)
	notify.Stopping()
	log.Info("activityd stopping")
	stop()     // 1. sources stop
	<-plEnded  // 2. workers have flushed their queues
	httpStop() // 3. the HTTP endpoint closes
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
	model, err := rnn.Load(m.Classifier)
	if err != nil {
		return nil, fmt.Errorf("model.classifier: %w", err)
	}
	// The backbone must be the one the model was trained on: the same file
	// (by sha256) for an .onnx path, else the same name. The feature size
	// is checked again against the opened backbone by the pipeline.
	sha, err := rnn.BackboneSHA256(m.Backbone)
	if err != nil {
		return nil, fmt.Errorf("model.backbone: %w", err)
	}
	if err := model.CheckBackboneID(m.Backbone, sha); err != nil {
		return nil, fmt.Errorf("model.classifier: %w", err)
	}
	if m.Backbone == features.DescriptorName && model.InputSize != features.DescriptorDim {
		return nil, fmt.Errorf("model.classifier: %w: model %s takes %d features, backbone %s gives %d",
			rnn.ErrBackbone, model.Name, model.InputSize, m.Backbone, features.DescriptorDim)
	}
	return model, nil
}

// loopTick is the main loop's period; it is shortened to a third of
// systemd's WatchdogSec when that is set.
const loopTick = time.Second

// mainLoop runs until ctx ends. Each tick it records that the daemon is
// alive, pings systemd's watchdog only while no worker is stalled, and
// updates the status line. A pipeline that has stopped (every source ended)
// is noted and the daemon keeps serving.
func mainLoop(ctx context.Context, cfg config.Config, log *zap.Logger, pl *pipeline.Pipeline,
	notify *observability.Notifier, lastLoop *atomic.Int64, plEnded <-chan struct{},
	reload <-chan struct{}, rl *reloader) {
	every := loopTick
	if wd := notify.WatchdogInterval(); wd > 0 && wd/3 < every {
		every = wd / 3
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	lastCount, lastT := pl.Analysed(), time.Now()
	var lastWarn time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-reload:
			rl.reload()
			cfg = rl.cfg
		case <-plEnded:
			log.Info("every source has stopped; waiting for a signal")
			plEnded = nil
		case now := <-tick.C:
			lastLoop.Store(now.UnixNano())
			if stalled := pl.Stalled(cfg.Pipeline.StallTimeout); len(stalled) == 0 {
				notify.Watchdog()
			} else if now.Sub(lastWarn) > 10*time.Second {
				log.Error("pipeline stalled; withholding the watchdog ping", zap.Strings("streams", stalled))
				lastWarn = now
			}
			n := pl.Analysed()
			rate := float64(n-lastCount) / now.Sub(lastT).Seconds()
			lastCount, lastT = n, now
			online := 0
			for _, st := range pl.Statuses() {
				if st.State == ingest.StateOnline {
					online++
				}
			}
			notify.Status(fmt.Sprintf("streams online %d/%d, %.1f frames/s", online, len(pl.StreamConfigs()), rate))
		}
	}
}

// alive answers /healthz: the main loop ticks and no worker is wedged.
func alive(lastLoop int64, pl *pipeline.Pipeline, stallLimit time.Duration) error {
	if d := time.Since(time.Unix(0, lastLoop)); d > 5*loopTick {
		return fmt.Errorf("main loop has not ticked for %s", d.Round(time.Second))
	}
	if s := pl.Stalled(stallLimit); len(s) > 0 {
		return fmt.Errorf("stalled streams: %v", s)
	}
	return nil
}

// ready answers /readyz: the model is loaded (it is, once Run got this
// far), NATS is connected, and not every stream has failed.
func ready(pub *publisher.Publisher, pl *pipeline.Pipeline) error {
	streams := len(pl.StreamConfigs())
	var why []string
	if !pub.Conn().IsConnected() {
		why = append(why, "nats not connected")
	}
	if streams > 0 {
		failed := 0
		for _, st := range pl.Statuses() {
			if st.State == ingest.StateOffline {
				failed++
			}
		}
		if failed == streams {
			why = append(why, "every stream is offline")
		}
	}
	if len(why) > 0 {
		return errors.New(strings.Join(why, "; "))
	}
	return nil
}

// snapshotConfig places the streams' saved hidden states under state_dir.
func snapshotConfig(cfg config.Config) pipeline.SnapshotConfig {
	if cfg.Pipeline.SnapshotMaxAge <= 0 {
		return pipeline.SnapshotConfig{}
	}
	return pipeline.SnapshotConfig{Dir: filepath.Join(cfg.StateDir, "snapshots"), MaxAge: cfg.Pipeline.SnapshotMaxAge}
}
