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

// ClipMsg is published on P.<stream>.clip for every completed window.
// StartPTS and EndPTS give the window in stream time as well.
type ClipMsg struct {
	Stream   string    `json:"stream"`
	Seq      uint64    `json:"seq"`
	StartTS  time.Time `json:"start_ts"`
	EndTS    time.Time `json:"end_ts"`
	StartPTS float64   `json:"start_pts_s"`
	EndPTS   float64   `json:"end_pts_s"`
	Frames   int       `json:"frames"`
	Label    string    `json:"label"`
	Score    float64   `json:"score"`
	TopK     []Scored  `json:"topk"`
	Model    string    `json:"model"`
}

// Event types and end reasons.
const (
	EventStart  = "start"
	EventUpdate = "update"
	EventEnd    = "end"
)

// EventMsg is published on P.<stream>.event. EndTS, EndPTS and Reason are
// set on an end only; Update numbers the updates of one event from 1.
type EventMsg struct {
	ID        string     `json:"id"`
	Type      string     `json:"type"`
	Stream    string     `json:"stream"`
	Label     string     `json:"label"`
	Score     float64    `json:"score"`
	StartTS   time.Time  `json:"start_ts"`
	EndTS     *time.Time `json:"end_ts,omitempty"`
	DurationS float64    `json:"duration_s"`
	Reason    string     `json:"reason,omitempty"`
	Model     string     `json:"model"`
	StartPTS  float64    `json:"start_pts_s"`
	EndPTS    *float64   `json:"end_pts_s,omitempty"`
	Update    int        `json:"update,omitempty"`
}

// MsgID is the JetStream dedupe id: the event id and type, plus the update
// number for updates (an event has many).
func (e *EventMsg) MsgID() string {
	if e.Type == EventUpdate {
		return e.ID + "-" + e.Type + "-" + itoa(e.Update)
	}
	return e.ID + "-" + e.Type
}

// StatusMsg is published on P.<stream>.status when a source changes state.
type StatusMsg struct {
	Stream string    `json:"stream"`
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
}

// Current is a stream's value in the KV bucket.
type Current struct {
	Stream  string    `json:"stream"`
	Label   string    `json:"label"`
	Score   float64   `json:"score"`
	EventID string    `json:"event_id"`
	State   string    `json:"state"`
	Updated time.Time `json:"updated"`
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

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
