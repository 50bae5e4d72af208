package tfjs

import (
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/activityd/activityd/features/onnxpb"
)

// TestConvertTinyModel converts a small model that uses every layer kind of
// MobileNetV2, runs the ONNX file in OpenCV and compares it with a float64
// Keras-semantics reference.
func TestConvertTinyModel(t *testing.T) {
	tm := newTinyModel(1)
	m, err := Parse(tm.modelJS, tm.weightsJS)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Convert(m, Options{Outputs: []Output{{Name: "pooled", Layer: "drop"}, {Name: "probs", Layer: "fc"}}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := onnxpb.Inspect(data)
	if err != nil {
		t.Fatal(err)
	}
	if info.Opset != Opset || len(info.Inputs) != 1 || onnxpb.String(info.Inputs[0].Shape) != "[N 3 9 9]" {
		t.Fatalf("opset %d, inputs %+v", info.Opset, info.Inputs)
	}
	if info.Ops["BatchNormalization"] != 0 || info.Ops["Clip"] != 2 || info.Ops["Pad"] != 1 || info.Ops["Gemm"] != 1 {
		t.Errorf("ops %v: want batch norms folded, 2 Clip, 1 Pad, 1 Gemm", info.Ops)
	}
	for name, shape := range info.Tensors {
		if shape == nil {
			t.Errorf("tensor %s has no declared shape", name)
		}
	}
	path := filepath.Join(t.TempDir(), "tiny.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	net := gocv.ReadNetFromONNX(path)
	defer net.Close()
	if net.Empty() {
		t.Fatal("OpenCV did not load the model")
	}
	rng := rand.New(rand.NewSource(2))
	const batch = 2
	imgs := make([][]float64, batch)
	blob := gocv.NewMatWithSizes([]int{batch, 3, tinyH, tinyW}, gocv.MatTypeCV32F)
	defer blob.Close()
	bd, _ := blob.DataPtrFloat32()
	for n := range imgs {
		imgs[n] = make([]float64, tinyH*tinyW*tinyC)
		for i := range imgs[n] {
			v := float32(rng.Float64())
			imgs[n][i] = float64(v)
			y, x, c := i/(tinyW*tinyC), (i/tinyC)%tinyW, i%tinyC
			bd[((n*3+c)*tinyH+y)*tinyW+x] = v
		}
	}
	net.SetInput(blob, "")
	outs := net.ForwardLayers([]string{"pooled", "probs"})
	defer func() {
		for _, o := range outs {
			o.Close()
		}
	}()
	gp, _ := outs[0].DataPtrFloat32()
	gs, _ := outs[1].DataPtrFloat32()
	if len(gp) != batch*tinyF || len(gs) != batch*3 {
		t.Fatalf("output sizes %v %v", outs[0].Size(), outs[1].Size())
	}
	for n := range imgs {
		wp, ws := tm.forward(imgs[n])
		for i := range wp {
			if d := math.Abs(float64(gp[n*tinyF+i]) - wp[i]); d > 1e-5*math.Max(1, math.Abs(wp[i])) {
				t.Errorf("image %d pooled[%d] = %v, reference %v", n, i, gp[n*tinyF+i], wp[i])
			}
		}
		for i := range ws {
			if d := math.Abs(float64(gs[n*3+i]) - ws[i]); d > 1e-5 {
				t.Errorf("image %d probs[%d] = %v, reference %v", n, i, gs[n*3+i], ws[i])
			}
		}
	}
}

func TestParseRefusesBadWeights(t *testing.T) {
	tm := newTinyModel(1)
	good, err := weightBytes(tm.weightsJS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(tm.modelJS, good[:len(good)-7]); !errors.Is(err, ErrSyntax) {
		t.Errorf("truncated weights: %v", err)
	}
	if _, err := Parse(tm.modelJS, append(good, 0)); !errors.Is(err, ErrSyntax) {
		t.Errorf("extra weights: %v", err)
	}
	if _, err := Parse(tm.modelJS[:len(tm.modelJS)/2], tm.weightsJS); !errors.Is(err, ErrSyntax) {
		t.Errorf("truncated model: %v", err)
	}
	m, err := Parse(tm.modelJS, tm.weightsJS)
	if err != nil {
		t.Fatal(err)
	}
	delete(m.Weights, "pw/kernel")
	if _, err := Convert(m, Options{}); !errors.Is(err, ErrSyntax) {
		t.Errorf("missing weight: %v", err)
	}
	if _, err := Convert(m, Options{Outputs: []Output{{Name: "x", Layer: "nope"}}}); err == nil {
		t.Error("unknown output layer converted")
	}
}

// FuzzParse feeds the converter's input parsing (JS module or JSON
// topology, base64 or binary weights) and, when that succeeds, the
// conversion and the ONNX reader.
func FuzzParse(f *testing.F) {
	tm := newTinyModel(3)
	f.Add(tm.modelJS, tm.weightsJS)
	f.Add([]byte(`{"modelTopology":{"model_config":{"class_name":"Model","config":{"layers":[]}}}}`), []byte{})
	f.Add(tm.modelJS[:200], tm.weightsJS[:100])
	f.Fuzz(func(t *testing.T, model, weights []byte) {
		m, err := Parse(model, weights)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error not wrapping ErrSyntax: %v", err)
			}
			return
		}
		data, err := Convert(m, Options{})
		if err != nil {
			return
		}
		if _, err := onnxpb.Inspect(data); err != nil {
			t.Fatalf("converted model does not read back: %v", err)
		}
	})
}
