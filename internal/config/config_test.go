package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestGoodConfig(t *testing.T) {
	t.Setenv("STATE_DIRECTORY", "")
	cfg, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Streams) != 2 {
		t.Fatalf("streams = %d, want 2", len(cfg.Streams))
	}
	s := cfg.Streams[1]
	if s.ID != "door-2_b" || s.FPS != 2.5 || s.RTSPTransport != "udp" || s.OpenTimeout != 3*time.Second {
		t.Errorf("second stream decoded as %+v", s)
	}
	// Keys left out take the defaults.
	if s.ReadTimeout != 5*time.Second || s.QueueSize != 4 || !s.IsRealtime() {
		t.Errorf("per-stream defaults not applied: %+v", s)
	}
	if cfg.Streams[0].RTSPTransport != "tcp" {
		t.Errorf("rtsp_transport default = %q, want tcp", cfg.Streams[0].RTSPTransport)
	}
	if cfg.NATS.SubjectPrefix != "acts" || cfg.NATS.Listen != "127.0.0.1:4222" || cfg.NATS.URL != "" {
		t.Errorf("nats = %+v", cfg.NATS)
	}
	if cfg.HTTP.Listen != "127.0.0.1:9651" || cfg.StateDir != "/tmp/activityd-test" {
		t.Errorf("http/state_dir = %q %q", cfg.HTTP.Listen, cfg.StateDir)
	}
}

func TestEmptyPathIsDefaults(t *testing.T) {
	cfg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	def := Default()
	if !reflect.DeepEqual(cfg, def) {
		t.Errorf("Load(\"\") = %+v, want the defaults %+v", cfg, def)
	}
}

// TestBadConfigs checks each testdata/*.bad.yaml against the error it must
// give: the key it names and what is wrong.
func TestBadConfigs(t *testing.T) {
	want := map[string][]string{
		"unknown-key":      {"line 4", `unknown key "colour"`},
		"bad-id":           {"streams[0].id", `"cam 1"`, "subject token"},
		"dotted-id":        {"streams[0].id", `"cam.1"`},
		"duplicate-id":     {"streams[1].id", "already used by streams[0]"},
		"missing-url":      {"streams[0].url: missing"},
		"negative-fps":     {"streams[0].fps", "-3", "above 0"},
		"fps-not-number":   {"line 4", "fast"},
		"bad-transport":    {"streams[0].rtsp_transport", `"quic"`, "tcp or udp"},
		"bad-duration":     {"line 4", "soon"},
		"bad-prefix":       {"nats.subject_prefix", `"activity.>"`},
		"bad-listen":       {"nats.listen", "host:port"},
		"bad-level":        {"log.level", `"loud"`},
		"misspelt-section": {`unknown key "modle"`},
		"broken-yaml":      {"yaml"},
		"zero-topk":        {"model.top_k", "0"},
	}
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("%d bad configs in testdata, %d in the table", len(files), len(want))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".bad.yaml")
		t.Run(name, func(t *testing.T) {
			subs, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s", f)
			}
			_, err := Load(f)
			if err == nil {
				t.Fatalf("Load(%s) accepted a bad config", f)
			}
			for _, s := range subs {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestAllErrorsAtOnce(t *testing.T) {
	_, err := Parse([]byte("streams:\n  - id: a.b\n    fps: -1\nlog:\n  level: x\n"))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, s := range []string{"streams[0].id", "streams[0].url", "streams[0].fps", "log.level"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

func TestEnvOverrides(t *testing.T) {
	cfg := Default()
	err := ApplyEnv(&cfg, []string{
		"ACTIVITYD_NATS_URL=nats://127.0.0.1:4333",
		"ACTIVITYD_STATE_DIR=/tmp/x",
		"ACTIVITYD_MODEL_TOP_K=5",
		"ACTIVITYD_PIPELINE_SHUTDOWN_TIMEOUT=3s",
		"HOME=/ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.URL != "nats://127.0.0.1:4333" || cfg.StateDir != "/tmp/x" || cfg.Model.TopK != 5 ||
		cfg.Pipeline.ShutdownTimeout != 3*time.Second {
		t.Errorf("overrides not applied: %+v", cfg)
	}
}

func TestEnvOverrideThroughLoad(t *testing.T) {
	t.Setenv("ACTIVITYD_LOG_LEVEL", "debug")
	t.Setenv("ACTIVITYD_NATS_SUBJECT_PREFIX", "fromenv")
	cfg, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The environment wins over the file.
	if cfg.Log.Level != "debug" || cfg.NATS.SubjectPrefix != "fromenv" {
		t.Errorf("log.level=%q subject_prefix=%q", cfg.Log.Level, cfg.NATS.SubjectPrefix)
	}
	t.Setenv("ACTIVITYD_NATS_SUBJECT_PREFIX", "bad.prefix")
	if _, err := Load("testdata/good.yaml"); err == nil || !strings.Contains(err.Error(), "nats.subject_prefix") {
		t.Errorf("an invalid override was not refused by Validate: %v", err)
	}
}

func TestEnvErrors(t *testing.T) {
	cfg := Default()
	err := ApplyEnv(&cfg, []string{"ACTIVITYD_NATS_PORT=1", "ACTIVITYD_MODEL_TOP_K=many", "ACTIVITYD_PIPELINE_SHUTDOWN_TIMEOUT=10"})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, s := range []string{"ACTIVITYD_NATS_PORT: no such configuration key", `ACTIVITYD_MODEL_TOP_K="many": not an integer`, "not a duration"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

// TestDocumentedConfig keeps configs/activityd.yaml true: it loads, and it
// mentions every key the code knows.
func TestDocumentedConfig(t *testing.T) {
	path := filepath.Join("..", "..", "configs", "activityd.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(data); err != nil {
		t.Fatalf("%s does not load: %v", path, err)
	}
	text := string(data)
	for _, key := range yamlKeys(reflect.TypeOf(Config{})) {
		if !strings.Contains(text, key+":") {
			t.Errorf("%s does not document key %q", path, key)
		}
	}
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		keys = append(keys, tag)
		ft := t.Field(i).Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Duration(0)) {
			keys = append(keys, yamlKeys(ft)...)
		}
	}
	return keys
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"", "streams: []", "streams:\n  - id: a\n    url: b\n", "nats: {url: x}", "log: [1"} {
		f.Add([]byte(seed))
	}
	if data, err := os.ReadFile("testdata/good.yaml"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("Parse accepted a config that Validate refuses: %v", verr)
			}
		}
	})
}
