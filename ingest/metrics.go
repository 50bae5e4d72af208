package ingest

import "github.com/prometheus/client_golang/prometheus"

// Metrics are ingest's Prometheus series, labelled by stream id (never by
// URL, which can carry credentials). One value is shared by every source.
type Metrics struct {
	state      *prometheus.GaugeVec
	read       *prometheus.CounterVec
	reconnects *prometheus.CounterVec
	stalls     *prometheus.CounterVec
}

// NewMetrics creates the series and registers them on reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "activityd_ingest_source_state",
			Help: "1 for the state each stream's source is in, 0 for the others.",
		}, []string{"stream", "state"}),
		read: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "activityd_ingest_frames_read_total",
			Help: "Frames decoded from each stream's source, before sampling.",
		}, []string{"stream"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "activityd_ingest_reconnects_total",
			Help: "Times a source was reopened after a failure, a stall or the end of a loop.",
		}, []string{"stream"}),
		stalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "activityd_ingest_stalls_total",
			Help: "Reads abandoned by the watchdog after the read timeout.",
		}, []string{"stream"}),
	}
	if reg != nil {
		reg.MustRegister(m.state, m.read, m.reconnects, m.stalls)
	}
	return m
}

var allStates = []State{StateConnecting, StateOnline, StateReconnecting, StateOffline, StateEnded}

func (m *Metrics) setState(stream string, st State) {
	if m == nil {
		return
	}
	for _, s := range allStates {
		v := 0.0
		if s == st {
			v = 1
		}
		m.state.WithLabelValues(stream, string(s)).Set(v)
	}
}

func (m *Metrics) reconnect(stream string) {
	if m != nil {
		m.reconnects.WithLabelValues(stream).Inc()
	}
}

func (m *Metrics) stall(stream string) {
	if m != nil {
		m.stalls.WithLabelValues(stream).Inc()
	}
}

// readCounter returns the stream's frames-read counter; without metrics, a
// counter nobody collects.
func (m *Metrics) readCounter(stream string) prometheus.Counter {
	if m == nil {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "unused"})
	}
	return m.read.WithLabelValues(stream)
}
