package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"go.uber.org/zap/zaptest"

	"github.com/activityd/activityd/internal/config"
	"github.com/activityd/activityd/internal/testenv"
	"github.com/activityd/activityd/rnn"
)

// TestMetricsAndHealth scrapes a running daemon: every series the operators'
// dashboards rely on is there, the exposition passes promlint (the rules
// of `promtool check metrics`), and /healthz and /readyz answer JSON.
func TestMetricsAndHealth(t *testing.T) {
	dir := t.TempDir()
	video := testenv.Video(t, dir, "v.mp4", "160x120", 10, 1)
	httpAddr := testenv.FreeAddr(t)
	cfg, err := config.Parse([]byte(fmt.Sprintf(
		"streams:\n  - {id: m1, url: %q, fps: 5, loop: true}\nnats: {listen: %q}\nhttp: {listen: %q}\nstate_dir: %q\n",
		video, testenv.FreeAddr(t), httpAddr, filepath.Join(dir, "state"))))
	if err != nil {
		t.Fatal(err)
	}
	d := start(t, cfg, zaptest.NewLogger(t), Options{})
	defer d.stop(t)

	get := func(path string) (int, []byte) {
		resp, err := http.Get("http://" + httpAddr + path)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	// Wait until frames have been analysed, so that per-stream series exist.
	var body []byte
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, b := get("/metrics")
		if code == 200 && bytes.Contains(b, []byte(`activityd_pipeline_frames_analysed_total{stream="m1"} `)) &&
			bytes.Contains(b, []byte(`activityd_publisher_messages_total{kind="frame"}`)) {
			body = b
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no analysed frames in /metrics after 30s:\n%s", b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, name := range []string{
		"activityd_ingest_frames_read_total{stream=\"m1\"}",
		"activityd_ingest_source_state{state=\"online\",stream=\"m1\"} 1",
		"activityd_pipeline_frames_analysed_total{stream=\"m1\"}",
		"activityd_pipeline_feature_extraction_seconds_bucket",
		"activityd_pipeline_recurrent_step_seconds_bucket",
		"activityd_pipeline_latency_seconds_bucket",
		"activityd_publisher_messages_total{kind=\"frame\"}",
		"activityd_publisher_outbox_messages",
		"activityd_publisher_nats_connected 1",
		"go_goroutines",
		"process_resident_memory_bytes",
	} {
		if !bytes.Contains(body, []byte(name)) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "activityd_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
	// Our names follow activityd_<subsystem>_<name>_<unit>.
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "# TYPE activityd_") {
			f := strings.Fields(line)
			if parts := strings.Split(f[2], "_"); len(parts) < 3 {
				t.Errorf("metric %s is not activityd_<subsystem>_<name>", f[2])
			}
		}
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		code, b := get(path)
		var v struct {
			OK bool `json:"ok"`
		}
		if code != 200 || json.Unmarshal(b, &v) != nil || !v.OK {
			t.Errorf("%s: %d %s", path, code, b)
		}
	}
}

// TestReadyzSaysWhyNot runs the daemon on a stream whose file does not
// exist: /readyz must answer 503 with the reason, /healthz stays 200.
func TestReadyzSaysWhyNot(t *testing.T) {
	dir := t.TempDir()
	httpAddr := testenv.FreeAddr(t)
	cfg, err := config.Parse([]byte(fmt.Sprintf(
		"streams:\n  - {id: gone, url: %q}\nnats: {listen: %q}\nhttp: {listen: %q}\nstate_dir: %q\n",
		filepath.Join(dir, "missing.mp4"), testenv.FreeAddr(t), httpAddr, filepath.Join(dir, "state"))))
	if err != nil {
		t.Fatal(err)
	}
	d := start(t, cfg, zaptest.NewLogger(t), Options{})
	defer d.stop(t)

	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable && bytes.Contains(b, []byte("every stream is offline")) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz never reported the offline stream")
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := http.Get("http://" + httpAddr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz: %v %v", err, resp)
	}
	if resp != nil {
		resp.Body.Close()
	}
}

// TestBackboneMetrics serves the converted MobileNetV2 backbone (installed
// by `make models`) with a random classifier made for it, and checks the
// forward-pass and batch-size series.
func TestBackboneMetrics(t *testing.T) {
	dir := t.TempDir()
	m := rnn.NewRandom(rnn.CellGRU, 1280, 16, 1, []string{"a", "b"}, 3)
	m.Backbone = "mobilenet_v2"
	clf := filepath.Join(dir, "m.safetensors")
	if err := m.Save(clf); err != nil {
		t.Fatal(err)
	}
	video := testenv.Video(t, dir, "v.mp4", "160x120", 10, 1)
	httpAddr := testenv.FreeAddr(t)
	cfg, err := config.Parse([]byte(fmt.Sprintf(
		"streams:\n  - {id: mb, url: %q, fps: 5, loop: true}\nmodel: {backbone: mobilenet_v2, classifier: %q}\n"+
			"nats: {listen: %q}\nhttp: {listen: %q}\nstate_dir: %q\n",
		video, clf, testenv.FreeAddr(t), httpAddr, filepath.Join(dir, "state"))))
	if err != nil {
		t.Fatal(err)
	}
	d := start(t, cfg, zaptest.NewLogger(t), Options{})
	defer d.stop(t)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(b, []byte("activityd_pipeline_backbone_forward_seconds_count")) &&
				bytes.Contains(b, []byte("activityd_pipeline_batch_size_bucket")) &&
				!bytes.Contains(b, []byte("activityd_pipeline_backbone_forward_seconds_count 0")) {
				return
			}
		}
		if err, ok := d.exited(); ok {
			t.Fatalf("daemon stopped: %v (is the backbone installed? `make models`)", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no backbone forward observed in /metrics within 60s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
