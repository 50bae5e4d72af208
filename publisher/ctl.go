package publisher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// Control subjects, after P.ctl.
const (
	CtlList      = "streams.list"
	CtlAdd       = "streams.add"
	CtlRemove    = "streams.remove"
	CtlReset     = "streams.reset"
	CtlModelInfo = "model.info"
)

// StreamInfo describes a stream in control replies. URL is redacted.
type StreamInfo struct {
	ID     string    `json:"id"`
	URL    string    `json:"url"`
	FPS    float64   `json:"fps"`
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since,omitzero"`
}

// AddStreamRequest is the body of P.ctl.streams.add. Unset fields take the
// configured per-stream defaults.
type AddStreamRequest struct {
	ID        string  `json:"id"`
	URL       string  `json:"url"`
	FPS       float64 `json:"fps,omitempty"`
	Loop      bool    `json:"loop,omitempty"`
	Realtime  *bool   `json:"realtime,omitempty"`
	QueueSize int     `json:"queue_size,omitempty"`
}

// IDRequest is the body of P.ctl.streams.remove and P.ctl.streams.reset.
type IDRequest struct {
	ID string `json:"id"`
}

// ModelInfo describes the served model.
type ModelInfo struct {
	Name       string   `json:"name"`
	Cell       string   `json:"cell"`
	Mode       string   `json:"mode"`
	InputSize  int      `json:"input_size"`
	HiddenSize int      `json:"hidden_size"`
	Layers     int      `json:"layers"`
	Window     int      `json:"window,omitempty"`
	Labels     []string `json:"labels"`
	Backbone   string   `json:"backbone"`
}

// CtlReply is every control reply: Error is set on failure, otherwise the
// field for the request.
type CtlReply struct {
	Error   string       `json:"error,omitempty"`
	OK      bool         `json:"ok,omitempty"`
	Streams []StreamInfo `json:"streams,omitempty"`
	Stream  *StreamInfo  `json:"stream,omitempty"`
	Model   *ModelInfo   `json:"model,omitempty"`
}

// Controller is what the control service acts on.
type Controller interface {
	ListStreams() []StreamInfo
	AddStream(req AddStreamRequest) (StreamInfo, error)
	RemoveStream(id string) error
	ResetStream(id string) error
	ModelInfo() ModelInfo
}

// ErrBadRequest wraps malformed control requests.
var ErrBadRequest = errors.New("bad request")

var tokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidStreamID reports whether id can stand as one subject token.
func ValidStreamID(id string) bool { return tokenRe.MatchString(id) }

// ServeControl answers requests on P.ctl.> until the connection closes.
func (p *Publisher) ServeControl(c Controller) (*nats.Subscription, error) {
	return p.nc.Subscribe(p.prefix+".ctl.>", func(m *nats.Msg) {
		if m.Reply == "" {
			return
		}
		reply := HandleControl(c, strings.TrimPrefix(m.Subject, p.prefix+".ctl."), m.Data, p.log)
		data, _ := json.Marshal(reply)
		out := nats.NewMsg(m.Reply)
		out.Data = data
		out.Header.Set(HeaderStream, "")
		out.Header.Set(HeaderModel, c.ModelInfo().Name)
		if err := m.RespondMsg(out); err != nil {
			p.log.Warn("control reply failed", zap.Error(err))
		}
	})
}

// HandleControl decodes one request for the named operation, acts on c and
// returns the reply. It never panics on bad input.
func HandleControl(c Controller, op string, body []byte, log *zap.Logger) (reply CtlReply) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("control request panicked", zap.String("op", op), zap.Any("panic", r))
			reply = CtlReply{Error: "internal error"}
		}
	}()
	fail := func(err error) CtlReply { return CtlReply{Error: err.Error()} }
	switch op {
	case CtlList:
		if err := decodeOptional(body); err != nil {
			return fail(err)
		}
		streams := c.ListStreams()
		if streams == nil {
			streams = []StreamInfo{}
		}
		return CtlReply{OK: true, Streams: streams}
	case CtlModelInfo:
		if err := decodeOptional(body); err != nil {
			return fail(err)
		}
		mi := c.ModelInfo()
		return CtlReply{OK: true, Model: &mi}
	case CtlAdd:
		var req AddStreamRequest
		if err := decodeStrict(body, &req); err != nil {
			return fail(err)
		}
		if err := checkID(req.ID); err != nil {
			return fail(err)
		}
		if strings.TrimSpace(req.URL) == "" {
			return fail(fmt.Errorf("%w: url: missing", ErrBadRequest))
		}
		if req.FPS < 0 || req.FPS > 120 {
			return fail(fmt.Errorf("%w: fps: %v must be above 0 and at most 120", ErrBadRequest, req.FPS))
		}
		if req.QueueSize < 0 || req.QueueSize > 1024 {
			return fail(fmt.Errorf("%w: queue_size: %d must be between 1 and 1024", ErrBadRequest, req.QueueSize))
		}
		info, err := c.AddStream(req)
		if err != nil {
			return fail(err)
		}
		return CtlReply{OK: true, Stream: &info}
	case CtlRemove, CtlReset:
		var req IDRequest
		if err := decodeStrict(body, &req); err != nil {
			return fail(err)
		}
		if err := checkID(req.ID); err != nil {
			return fail(err)
		}
		var err error
		if op == CtlRemove {
			err = c.RemoveStream(req.ID)
		} else {
			err = c.ResetStream(req.ID)
		}
		if err != nil {
			return fail(err)
		}
		return CtlReply{OK: true}
	}
	return fail(fmt.Errorf("%w: unknown operation %q (known: %s, %s, %s, %s, %s)", ErrBadRequest, op,
		CtlList, CtlAdd, CtlRemove, CtlReset, CtlModelInfo))
}

func checkID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: id: missing", ErrBadRequest)
	}
	if !ValidStreamID(id) {
		return fmt.Errorf("%w: id: %q is not a NATS subject token (letters, digits, '-' and '_' only)", ErrBadRequest, id)
	}
	return nil
}

// decodeStrict reads exactly one JSON object with known fields only.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%w: the body must be a JSON object", ErrBadRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrBadRequest)
	}
	return nil
}

// decodeOptional accepts an empty body or an empty JSON object.
func decodeOptional(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var v struct{}
	return decodeStrict(body, &v)
}
