package features

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenUserONNX opens a user's ONNX file through the config path: the
// converted MobileNetV2 copied elsewhere, so it is not trusted and is
// probed, with explicit input size, preprocessing and outputs.
func TestOpenUserONNX(t *testing.T) {
	in := installed(t)
	data, err := os.ReadFile(in.Path)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mine.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	swap := true
	bb, err := Open(context.Background(), Options{Backbone: path, Width: 224, Height: 224, Scale: 1.0 / 255,
		Mean: []float64{0, 0, 0}, Std: []float64{1, 1, 1}, SwapRB: &swap, Outputs: []string{"pooled", "block10"},
		Mode: ModeGrid, Grid: 7, Prober: testProber()})
	if err != nil {
		t.Fatal(err)
	}
	defer bb.Close()
	if bb.Dim() != 96*49 || bb.Name() != "mine:grid7" {
		t.Errorf("dim %d name %s", bb.Dim(), bb.Name())
	}
	ex, _ := bb.NewExtractor()
	defer ex.Close()
	frame := synthFrame(t, 2, 300)
	defer frame.Close()
	if err := ex.Extract(frame, make([]float32, bb.Dim())); err != nil {
		t.Fatal(err)
	}

	if _, err := Open(context.Background(), Options{Backbone: path, Outputs: []string{"pooled"}}); err == nil {
		t.Error("an ONNX file without input size was accepted")
	}
	if _, err := Open(context.Background(), Options{Backbone: "resnet_9000"}); !errors.Is(err, ErrUnknownBackbone) {
		t.Errorf("unknown name: %v", err)
	}
	d, err := Open(context.Background(), Options{Backbone: DescriptorName})
	if err != nil || d.Dim() != DescriptorDim {
		t.Fatalf("descriptor: %v", err)
	}
}
