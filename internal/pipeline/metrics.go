package pipeline

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the pipeline's Prometheus series.
type Metrics struct {
	analysed *prometheus.CounterVec
	dropped  *prometheus.CounterVec
	extract  prometheus.Histogram
	step     prometheus.Histogram
	latency  prometheus.Histogram
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
	}
	if reg != nil {
		reg.MustRegister(m.analysed, m.dropped, m.extract, m.step, m.latency)
	}
	return m
}
