package config

import (
	"strings"
	"testing"
)

// TestNATSAndEventKeys checks that each bad value of the NATS output and
// events keys is refused with an error naming the key.
func TestNATSAndEventKeys(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"nats: {token: t, user: u}", "set at most one"},
		{"nats: {password: p}", "nats.password: set without nats.user"},
		{"nats: {tls: {cert: c.pem}}", "nats.tls: cert and key"},
		{"nats: {jetstream: {stream: 'A.B'}}", "nats.jetstream.stream"},
		{"nats: {jetstream: {retention: forever}}", "nats.jetstream.retention"},
		{"nats: {jetstream: {duplicates: 0s}}", "nats.jetstream.duplicates"},
		{"nats: {jetstream: {max_age: -1h}}", "nats.jetstream.max_age"},
		{"nats: {kv_bucket: 'a b'}", "nats.kv_bucket"},
		{"nats: {outbox: {max_messages: 0}}", "nats.outbox.max_messages"},
		{"nats: {outbox: {max_bytes: 10}}", "nats.outbox.max_bytes"},
		{"nats: {frames: {max_rate: -1}}", "nats.frames.max_rate"},
		{"nats: {clips: {window_s: 0}}", "nats.clips.window_s"},
		{"events: {enter: 1.5}", "events.enter"},
		{"events: {enter: 0.5, exit: 0.5}", "events.exit"},
		{"events: {min_gap_s: -1}", "events.min_gap_s"},
		{"events: {smoothing_s: .nan}", "events.smoothing_s"},
		{"events: {treshold: 1}", `unknown key "treshold"`},
	} {
		_, err := Parse([]byte(c.yaml + "\nstate_dir: /tmp/x\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.yaml, err, c.want)
		}
	}
	cfg, err := Parse([]byte("nats: {url: 'nats://a:4222,nats://b:4222', user: u, password: p, tls: {ca: ca.pem}}\n" +
		"events: {enter: 0.7, exit: 0.3, ignore: [idle]}\nstate_dir: /tmp/x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.JetStream.Stream != "ACTIVITY" || cfg.NATS.KVBucket != "activity_current" || !cfg.NATS.Ctl.Enabled ||
		cfg.Events.Enter != 0.7 || cfg.Events.Ignore[0] != "idle" || cfg.Events.MinGapS != 1 {
		t.Errorf("decoded %+v %+v", cfg.NATS, cfg.Events)
	}
	// Secrets can come from the environment.
	if err := ApplyEnv(&cfg, []string{"ACTIVITYD_NATS_PASSWORD=fromenv", "ACTIVITYD_EVENTS_MIN_GAP_S=2.5"}); err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.Password != "fromenv" || cfg.Events.MinGapS != 2.5 {
		t.Errorf("env overrides: password %q min_gap_s %v", cfg.NATS.Password, cfg.Events.MinGapS)
	}
}
