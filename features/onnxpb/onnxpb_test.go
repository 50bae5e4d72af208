package onnxpb

import (
	"errors"
	"testing"
)

func sample() []byte {
	return Marshal(&Model{
		IRVersion: 5, Opset: 10, ProducerName: "test", GraphName: "g",
		Nodes:        []Node{{Name: "r", Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: []Attr{AttrFloat("f", 1), AttrInts("i", 1, 2), AttrString("s", "v"), AttrInt("n", -1)}}},
		Initializers: []Tensor{{Name: "w", Dims: []int64{2}, Data: []float32{1, 2}}},
		Inputs:       []ValueInfo{{Name: "x", Elem: Float, Shape: []Dim{{Param: "N"}, {Value: 3}}}, {Name: "w", Elem: Float, Shape: []Dim{{Value: 2}}}},
		Outputs:      []ValueInfo{{Name: "y", Elem: Float, Shape: []Dim{{Param: "N"}, {Value: 3}}}},
		Metadata:     [][2]string{{"license", "MIT"}},
	})
}

func TestRoundTrip(t *testing.T) {
	info, err := Inspect(sample())
	if err != nil {
		t.Fatal(err)
	}
	if info.IRVersion != 5 || info.Opset != 10 || info.Nodes != 1 || info.Ops["Relu"] != 1 {
		t.Errorf("info %+v", info)
	}
	if len(info.Inputs) != 1 || info.Inputs[0].Name != "x" || String(info.Inputs[0].Shape) != "[N 3]" {
		t.Errorf("inputs %+v (initialisers must not count)", info.Inputs)
	}
	if len(info.Outputs) != 1 || String(info.Tensors["y"]) != "[N 3]" || info.Metadata["license"] != "MIT" {
		t.Errorf("outputs %+v tensors %v metadata %v", info.Outputs, info.Tensors, info.Metadata)
	}
}

func TestInspectRefusesTruncated(t *testing.T) {
	data := sample()
	for _, n := range []int{1, 5, len(data) / 2, len(data) - 1} {
		if _, err := Inspect(data[:n]); !errors.Is(err, ErrMalformed) {
			t.Errorf("truncated to %d bytes: %v", n, err)
		}
	}
	if _, err := Inspect([]byte("not a model at all")); !errors.Is(err, ErrMalformed) {
		t.Errorf("text: %v", err)
	}
}

// FuzzInspect checks that no input makes the model reader panic.
func FuzzInspect(f *testing.F) {
	f.Add(sample())
	f.Add([]byte{0x3a, 0x02, 0x0a})
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Inspect(data)
		if err == nil && info == nil {
			t.Fatal("nil info without error")
		}
	})
}
