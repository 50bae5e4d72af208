package pipeline

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the pipeline's Prometheus series.
type Metrics struct {
	analysed *prometheus.CounterVec
	dropped  *prometheus.CounterVec
	extract  prometheus.Histogram
	step     prometheus.Histogram
	latency  prometheus.Histogram
	forward  prometheus.Histogram
	batch    prometheus.Histogram
}

// NewMetrics creates the series and registers them on reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		analysed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "activityd_pipeline_frames_analysed_total",
			Help: "Frames analysed, by stream.",
		}, []string{"stream"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "activityd_ingest_frames_dropped_total",
			Help: "Sampled frames dropped before analysis, by stream and reason.",
		}, []string{"stream", "reason"}),
		extract: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "activityd_pipeline_feature_extraction_seconds",
			Help: "Time a stream waits for one frame's feature vector: preprocessing, batching and the backbone forward.",
			// 1 ms to about 1 s.
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 11),
		}),
		step: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "activityd_pipeline_recurrent_step_seconds",
			Help:    "Time of one recurrent step (all layers and the head) for one frame.",
			Buckets: prometheus.ExponentialBuckets(5e-6, 2, 10), // 5 us to 2.6 ms
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "activityd_pipeline_latency_seconds",
			Help:    "Time from a frame's capture to its label being handed to the publisher.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 12), // 2 ms to 4 s
		}),
		forward: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "activityd_pipeline_backbone_forward_seconds",
			Help:    "Time of one backbone forward pass (one batch).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 11), // 1 ms to 1 s
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "activityd_pipeline_batch_size",
			Help:    "Frames in one backbone forward pass.",
			Buckets: []float64{1, 2, 3, 4, 6, 8, 12, 16, 32},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.analysed, m.dropped, m.extract, m.step, m.latency, m.forward, m.batch)
	}
	return m
}

// ObserveForward records one backbone forward pass.
func (m *Metrics) ObserveForward(batch int, d time.Duration) {
	m.forward.Observe(d.Seconds())
	m.batch.Observe(float64(batch))
}
