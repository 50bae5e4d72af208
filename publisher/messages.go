package publisher

import "time"

// Scored is one class with its probability.
type Scored struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// FrameMsg is published on P.<stream>.frame for every analysed frame.
type FrameMsg struct {
	Stream    string    `json:"stream"`
	Seq       uint64    `json:"seq"`
	TS        time.Time `json:"ts"`
	PTS       float64   `json:"pts_s"`
	Label     string    `json:"label"`
	Score     float64   `json:"score"`
	TopK      []Scored  `json:"topk"`
	Model     string    `json:"model"`
	LatencyMS float64   `json:"latency_ms"`
}

// Header names carried by every message.
const (
	HeaderStream = "Activity-Stream"
	HeaderModel  = "Activity-Model"
)

// Subject kinds.
const (
	KindFrame  = "frame"
	KindClip   = "clip"
	KindEvent  = "event"
	KindStatus = "status"
)

// Subject returns P.<stream>.<kind>.
func Subject(prefix, stream, kind string) string {
	return prefix + "." + stream + "." + kind
}
