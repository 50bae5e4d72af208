package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"regexp"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
)

var tokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidToken reports whether s can stand as one NATS subject token.
func ValidToken(s string) bool { return tokenRe.MatchString(s) }

// Validate checks every key and returns all problems at once, each naming
// the key and the bad value.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, val any, why string) {
		errs = append(errs, fmt.Errorf("%s: %v %s", key, quote(val), why))
	}

	seen := map[string]int{}
	for i, s := range c.Streams {
		key := fmt.Sprintf("streams[%d]", i)
		switch {
		case s.ID == "":
			errs = append(errs, fmt.Errorf("%s.id: missing", key))
		case !ValidToken(s.ID):
			bad(key+".id", s.ID, "is not a NATS subject token (letters, digits, '-' and '_' only)")
		default:
			if j, dup := seen[s.ID]; dup {
				bad(key+".id", s.ID, fmt.Sprintf("is already used by streams[%d]", j))
			}
			seen[s.ID] = i
		}
		if strings.TrimSpace(s.URL) == "" {
			errs = append(errs, fmt.Errorf("%s.url: missing", key))
		}
		if !(s.FPS > 0 && s.FPS <= 120) || math.IsNaN(s.FPS) {
			bad(key+".fps", s.FPS, "must be above 0 and at most 120")
		}
		if s.RTSPTransport != "tcp" && s.RTSPTransport != "udp" {
			bad(key+".rtsp_transport", s.RTSPTransport, "must be tcp or udp")
		}
		if s.OpenTimeout < 0 {
			bad(key+".open_timeout", s.OpenTimeout, "must not be negative")
		}
		if s.ReadTimeout < 0 {
			bad(key+".read_timeout", s.ReadTimeout, "must not be negative")
		}
		if s.QueueSize < 1 || s.QueueSize > 1024 {
			bad(key+".queue_size", s.QueueSize, "must be between 1 and 1024")
		}
		if s.BackoffMin < 0 {
			bad(key+".backoff_min", s.BackoffMin, "must not be negative")
		}
		if s.BackoffMax < s.BackoffMin {
			bad(key+".backoff_max", s.BackoffMax, fmt.Sprintf("must not be below backoff_min (%s)", s.BackoffMin))
		}
		if s.Width < 0 || s.Width > 16384 {
			bad(key+".width", s.Width, "must be between 0 and 16384")
		}
		if s.Height < 0 || s.Height > 16384 {
			bad(key+".height", s.Height, "must be between 0 and 16384")
		}
		if !(s.CaptureFPS >= 0 && s.CaptureFPS <= 1000) {
			bad(key+".capture_fps", s.CaptureFPS, "must be between 0 and 1000")
		}
		if s.FourCC != "" && len(s.FourCC) != 4 {
			bad(key+".fourcc", s.FourCC, "must be four characters, such as MJPG or YUYV")
		}
	}

	if c.Model.Backbone == "" {
		errs = append(errs, errors.New("model.backbone: missing"))
	}
	if c.Model.TopK < 1 || c.Model.TopK > 100 {
		bad("model.top_k", c.Model.TopK, "must be between 1 and 100")
	}
	validateBackbone(c.Model, bad)

	if !ValidToken(c.NATS.SubjectPrefix) {
		bad("nats.subject_prefix", c.NATS.SubjectPrefix, "is not a NATS subject token (letters, digits, '-' and '_' only)")
	}
	if c.NATS.URL == "" {
		if err := checkHostPort(c.NATS.Listen); err != nil {
			bad("nats.listen", c.NATS.Listen, err.Error())
		}
	}
	errs = append(errs, c.NATS.validate()...)
	errs = append(errs, c.Events.validate()...)
	if c.HTTP.Listen != "" {
		if err := checkHostPort(c.HTTP.Listen); err != nil {
			bad("http.listen", c.HTTP.Listen, err.Error())
		}
	}
	if _, err := zapcore.ParseLevel(c.Log.Level); err != nil {
		bad("log.level", c.Log.Level, "must be one of debug, info, warn, error")
	}
	switch c.Log.Format {
	case "auto", "json", "console":
	default:
		bad("log.format", c.Log.Format, "must be auto, json or console")
	}
	if c.Pipeline.ShutdownTimeout <= 0 {
		bad("pipeline.shutdown_timeout", c.Pipeline.ShutdownTimeout, "must be positive")
	}
	if c.Pipeline.StallTimeout < 2*time.Second {
		bad("pipeline.stall_timeout", c.Pipeline.StallTimeout, "must be at least 2s")
	}
	if c.Pipeline.SnapshotMaxAge < 0 {
		bad("pipeline.snapshot_max_age", c.Pipeline.SnapshotMaxAge, "must not be negative")
	}
	if c.StateDir == "" {
		errs = append(errs, errors.New("state_dir: missing"))
	}
	return errors.Join(errs...)
}

func checkHostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil || port == "" {
		return errors.New("is not host:port")
	}
	return nil
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}
