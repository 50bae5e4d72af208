package publisher

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the publisher's Prometheus series.
type Metrics struct {
	framesDropped *prometheus.CounterVec
	messages      *prometheus.CounterVec
	durable       *prometheus.CounterVec
	outboxDropped prometheus.Counter
	outboxLen     prometheus.Gauge
}

// NewMetrics creates the series and registers them on reg (nil: not
// registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		framesDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "activityd_publisher_frames_dropped_total",
			Help: "Frame messages dropped while NATS was unreachable, by stream.",
		}, []string{"stream"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "activityd_publisher_messages_total",
			Help: "Messages delivered to NATS by subject kind (frame, status: published; event, clip: acknowledged by JetStream).",
		}, []string{"kind"}),
		durable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "activityd_publisher_jetstream_acked_total",
			Help: "Events and clips acknowledged by JetStream, by kind.",
		}, []string{"kind"}),
		outboxDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "activityd_publisher_outbox_dropped_total",
			Help: "Events and clips dropped because the outbox was full.",
		}),
		outboxLen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "activityd_publisher_outbox_messages",
			Help: "Events and clips waiting in the outbox.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.framesDropped, m.messages, m.durable, m.outboxDropped, m.outboxLen)
	}
	return m
}
