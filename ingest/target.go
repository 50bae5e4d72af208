package ingest

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ErrUnsupported is returned for a URL no source kind handles.
var ErrUnsupported = errors.New("ingest: unsupported source")

// Kind is the kind of a source, from its URL.
type Kind string

// The source kinds.
const (
	KindFile      Kind = "file"
	KindDevice    Kind = "device"
	KindRTSP      Kind = "rtsp"
	KindHTTP      Kind = "http"
	KindRTMP      Kind = "rtmp"
	KindGStreamer Kind = "gstreamer"
)

// Live reports whether the kind is a live source: it is reconnected forever
// and stamped with wall time rather than container time.
func (k Kind) Live() bool { return k != KindFile }

// target is a parsed stream URL.
type target struct {
	kind Kind
	// name is what OpenCV opens: a path, a URL or a GStreamer pipeline.
	name string
	// index is the camera index of a "device:N" URL, or -1.
	index int
}

// ParseKind returns the kind of source a stream URL names.
func ParseKind(raw string) (Kind, error) {
	t, err := parseTarget(raw)
	return t.kind, err
}

func parseTarget(raw string) (target, error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return target{}, fmt.Errorf("%w: empty url", ErrUnsupported)
	case strings.HasPrefix(s, "gst:"):
		p := strings.TrimSpace(strings.TrimPrefix(s, "gst:"))
		if p == "" {
			return target{}, fmt.Errorf("%w: empty GStreamer pipeline", ErrUnsupported)
		}
		return target{kind: KindGStreamer, name: p, index: -1}, nil
	case strings.HasPrefix(s, "device:"):
		n, err := strconv.Atoi(strings.TrimPrefix(s, "device:"))
		if err != nil || n < 0 {
			return target{}, fmt.Errorf("%w: %q is not device:N with N a camera index", ErrUnsupported, s)
		}
		return target{kind: KindDevice, name: fmt.Sprintf("/dev/video%d", n), index: n}, nil
	case strings.HasPrefix(s, "/dev/"):
		return target{kind: KindDevice, name: s, index: -1}, nil
	case !strings.Contains(s, "://"):
		return target{kind: KindFile, name: s, index: -1}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return target{}, fmt.Errorf("%w: %s is not a URL", ErrUnsupported, Redact(s))
	}
	switch strings.ToLower(u.Scheme) {
	case "rtsp", "rtsps":
		return target{kind: KindRTSP, name: s, index: -1}, nil
	case "http", "https":
		return target{kind: KindHTTP, name: s, index: -1}, nil
	case "rtmp", "rtmps":
		return target{kind: KindRTMP, name: s, index: -1}, nil
	case "file":
		if u.Path == "" {
			return target{}, fmt.Errorf("%w: %s has no path", ErrUnsupported, Redact(s))
		}
		return target{kind: KindFile, name: u.Path, index: -1}, nil
	}
	return target{}, fmt.Errorf("%w: unknown scheme %q in %s (want a file path, /dev/videoN, device:N, rtsp, rtsps, http, https, rtmp or gst:)",
		ErrUnsupported, u.Scheme, Redact(s))
}
