package config

import (
	"fmt"
	"math"
	"regexp"
)

var streamNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// validate checks the NATS output keys: authentication, JetStream, KV,
// outbox, frame and clip settings.
func (n NATS) validate() []error {
	var errs []error
	bad := func(key string, val any, why string) {
		errs = append(errs, fmt.Errorf("%s: %v %s", key, quote(val), why))
	}
	methods := 0
	for _, set := range []bool{n.Token != "", n.User != "", n.NKeySeedFile != "", n.CredsFile != ""} {
		if set {
			methods++
		}
	}
	if methods > 1 {
		errs = append(errs, fmt.Errorf("nats: token, user, nkey_seed_file and creds_file are alternatives; set at most one"))
	}
	if n.Password != "" && n.User == "" {
		errs = append(errs, fmt.Errorf("nats.password: set without nats.user"))
	}
	if (n.TLS.Cert == "") != (n.TLS.Key == "") {
		errs = append(errs, fmt.Errorf("nats.tls: cert and key must be set together"))
	}
	if !streamNameRe.MatchString(n.JetStream.Stream) {
		bad("nats.jetstream.stream", n.JetStream.Stream, "is not a stream name (letters, digits, '-' and '_' only)")
	}
	switch n.JetStream.Retention {
	case "limits", "interest", "workqueue":
	default:
		bad("nats.jetstream.retention", n.JetStream.Retention, "must be limits, interest or workqueue")
	}
	if n.JetStream.MaxAge < 0 {
		bad("nats.jetstream.max_age", n.JetStream.MaxAge, "must not be negative")
	}
	if n.JetStream.MaxBytes < 0 {
		bad("nats.jetstream.max_bytes", n.JetStream.MaxBytes, "must not be negative")
	}
	if n.JetStream.Duplicates <= 0 {
		bad("nats.jetstream.duplicates", n.JetStream.Duplicates, "must be positive")
	}
	if !streamNameRe.MatchString(n.KVBucket) {
		bad("nats.kv_bucket", n.KVBucket, "is not a bucket name (letters, digits, '-' and '_' only)")
	}
	if n.Outbox.MaxMessages < 1 {
		bad("nats.outbox.max_messages", n.Outbox.MaxMessages, "must be at least 1")
	}
	if n.Outbox.MaxBytes < 1024 {
		bad("nats.outbox.max_bytes", n.Outbox.MaxBytes, "must be at least 1024")
	}
	if n.Frames.MaxRate < 0 || math.IsNaN(n.Frames.MaxRate) {
		bad("nats.frames.max_rate", n.Frames.MaxRate, "must not be negative")
	}
	if !(n.Clips.WindowS > 0 && n.Clips.WindowS <= 3600) {
		bad("nats.clips.window_s", n.Clips.WindowS, "must be above 0 and at most 3600")
	}
	return errs
}

// validate checks the event thresholds and durations.
func (e Events) validate() []error {
	var errs []error
	bad := func(key string, val any, why string) {
		errs = append(errs, fmt.Errorf("%s: %v %s", key, quote(val), why))
	}
	if !(e.Enter > 0 && e.Enter <= 1) {
		bad("events.enter", e.Enter, "must be above 0 and at most 1")
	}
	if !(e.Exit >= 0 && e.Exit < e.Enter) {
		bad("events.exit", e.Exit, "must be at least 0 and below events.enter")
	}
	for _, kv := range []struct {
		key string
		v   float64
	}{
		{"events.smoothing_s", e.SmoothingS}, {"events.min_duration_s", e.MinDurationS},
		{"events.min_gap_s", e.MinGapS}, {"events.update_interval_s", e.UpdateIntervalS},
		{"events.timeout_s", e.TimeoutS},
	} {
		if !(kv.v >= 0 && kv.v <= 86400) {
			bad(kv.key, kv.v, "must be between 0 and 86400 seconds")
		}
	}
	return errs
}
