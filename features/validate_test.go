package features

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/activityd/activityd/features/modelstore"
	"github.com/activityd/activityd/features/onnxpb"
)

// TestRefuseBadModels checks that corrupt, truncated and mismatched model
// files are refused with an error that says what is wrong, and that a file
// that makes OpenCV abort only kills the probe child, never this process.
func TestRefuseBadModels(t *testing.T) {
	in := installed(t)
	good, err := os.ReadFile(in.Path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corrupt := append([]byte(nil), good...)
	for i := 16; i < 4096; i += 7 {
		corrupt[i] ^= 0x5a
	}
	// Passes the structural check but names an operator OpenCV lacks: its
	// importer throws, which aborts a GoCV process.
	unknownOp := onnxpb.Marshal(&onnxpb.Model{IRVersion: 5, Opset: 10, GraphName: "g",
		Nodes:   []onnxpb.Node{{Name: "x", Op: "NoSuchOperator", Inputs: []string{"input"}, Outputs: []string{"pooled"}}},
		Inputs:  []onnxpb.ValueInfo{{Name: "input", Elem: onnxpb.Float, Shape: []onnxpb.Dim{{Param: "N"}, {Value: 3}, {Value: 224}, {Value: 224}}}},
		Outputs: []onnxpb.ValueInfo{{Name: "pooled", Elem: onnxpb.Float, Shape: []onnxpb.Dim{{Param: "N"}, {Value: 1280}}}},
	})
	cases := []struct {
		name   string
		path   string
		mutate func(*ONNXConfig)
		want   string
		is     error
	}{
		{"missing file", filepath.Join(dir, "nope.onnx"), nil, "no such file", os.ErrNotExist},
		{"empty file", write("empty.onnx", nil), nil, "no graph", onnxpb.ErrMalformed},
		{"truncated", write("trunc.onnx", good[:len(good)/3]), nil, "not a well-formed ONNX model", onnxpb.ErrMalformed},
		{"text", write("text.onnx", []byte("<html>rate limited</html>\n")), nil, "not a well-formed", onnxpb.ErrMalformed},
		{"corrupt", write("corrupt.onnx", corrupt), nil, "", nil},
		{"wrong input size", in.Path, func(c *ONNXConfig) { c.Width, c.Height = 320, 320 }, "model.input_size", nil},
		{"missing output", in.Path, func(c *ONNXConfig) { c.Output = "logits" }, `no output layer "logits"`, nil},
		{"grid on a vector", in.Path, func(c *ONNXConfig) { c.Mode = ModeGrid; c.Trusted = true }, "needs a spatial output", nil},
		{"opencv aborts", write("unknown-op.onnx", unknownOp), nil, "probe process failed", ErrProbe},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := mobilenetConfig(in, modelstore.OutputPooled, ModeGlobal)
			cfg.Path, cfg.Trusted, cfg.Prober = c.path, false, testProber()
			if c.mutate != nil {
				c.mutate(&cfg)
			}
			b, err := OpenONNX(context.Background(), cfg)
			if err == nil {
				_ = b.Close()
				t.Fatal("accepted")
			}
			t.Logf("refused: %v", err)
			if c.want != "" && !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
		})
	}
}

// TestProbeAcceptsGoodModel probes an untrusted copy of the converted model
// in a child process and then serves it.
func TestProbeAcceptsGoodModel(t *testing.T) {
	in := installed(t)
	cfg := mobilenetConfig(in, modelstore.OutputBlock10, ModeMap)
	cfg.Trusted, cfg.Prober, cfg.BatchSize = false, testProber(), 2
	b := openONNX(t, cfg)
	if b.Dim() != 96*14*14 || len(b.OutputShape()) != 3 {
		t.Fatalf("dim %d shape %v", b.Dim(), b.OutputShape())
	}
}
