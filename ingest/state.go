package ingest

import "time"

// State is where a source stands.
type State string

// The states a source goes through.
const (
	StateConnecting   State = "connecting"
	StateOnline       State = "online"
	StateReconnecting State = "reconnecting"
	StateOffline      State = "offline"
	StateEnded        State = "ended"
)

// Status is a state with its reason and since-when.
type Status struct {
	Stream string    `json:"stream"`
	State  State     `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
}
