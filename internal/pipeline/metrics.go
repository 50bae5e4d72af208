package pipeline

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the pipeline's Prometheus series.
type Metrics struct {
	analysed *prometheus.CounterVec
	dropped  *prometheus.CounterVec
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
	}
	if reg != nil {
		reg.MustRegister(m.analysed, m.dropped)
	}
	return m
}
