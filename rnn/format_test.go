package rnn

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func testModel(cell Cell, layers int) *Model {
	m := NewRandom(cell, 6, 5, layers, []string{"walk", "run", "sit"}, 7)
	m.Mean, m.Std = []float32{0, 1, 2, 3, 4, 5}, []float32{1, 2, 3, 4, 5, 6}
	m.FPS, m.Backbone, m.BackboneSHA256, m.FeatureMode = 5, "mobilenetv2", "ab12", "pool"
	return m
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, cell := range []Cell{CellRNN, CellGRU, CellLSTM} {
		m := testModel(cell, 2)
		m.Mode, m.Window, m.Stride, m.Head = ModeManyToOne, 8, 4, HeadMean
		path := filepath.Join(t.TempDir(), "m.safetensors")
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "m" {
			t.Errorf("name %q", got.Name)
		}
		got.Name = m.Name
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%s: loaded model differs:\n%+v\n%+v", cell, got, m)
		}
	}
}

// TestFileLayout checks the names, shapes and metadata that PyTorch and
// other tools rely on, reading the raw header.
func TestFileLayout(t *testing.T) {
	m := testModel(CellLSTM, 2)
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	if (8+n)%8 != 0 {
		t.Errorf("data starts at %d, not 8-byte aligned", 8+n)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &hdr); err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"rnn.weight_ih_l0": {20, 6}, "rnn.weight_hh_l0": {20, 5}, "rnn.bias_ih_l0": {20}, "rnn.bias_hh_l0": {20},
		"rnn.weight_ih_l1": {20, 5}, "rnn.weight_hh_l1": {20, 5}, "rnn.bias_ih_l1": {20}, "rnn.bias_hh_l1": {20},
		"head.weight": {3, 5}, "head.bias": {3}, "norm.mean": {6}, "norm.std": {6},
	}
	for name, shape := range want {
		var e stEntry
		if err := json.Unmarshal(hdr[name], &e); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.DType != "F32" || !reflect.DeepEqual(e.Shape, shape) {
			t.Errorf("%s: %s %v, want F32 %v", name, e.DType, e.Shape, shape)
		}
	}
	if len(hdr) != len(want)+1 {
		t.Errorf("%d header entries, want %d", len(hdr), len(want)+1)
	}
	var meta map[string]string
	_ = json.Unmarshal(hdr["__metadata__"], &meta)
	wantMeta := map[string]string{"format": FormatName, "cell": "lstm", "num_layers": "2", "hidden_size": "5",
		"input_size": "6", "mode": "many-to-many", "labels": `["walk","run","sit"]`, "fps": "5",
		"backbone": "mobilenetv2@sha256:ab12", "feature_mode": "pool"}
	if !reflect.DeepEqual(meta, wantMeta) {
		t.Errorf("metadata %v\nwant %v", meta, wantMeta)
	}
}

// rewrite re-encodes a model file after edit changes its tensors or
// metadata.
func rewrite(t *testing.T, m *Model, edit func(ts map[string]Tensor, meta map[string]string)) []byte {
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ts, meta, err := ReadSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	edit(ts, meta)
	out, err := WriteSafetensors(ts, meta)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoadErrors(t *testing.T) {
	m := testModel(CellGRU, 2)
	good, _ := m.Marshal()
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "shorter than the 8-byte header"},
		{"truncated", good[:len(good)-10], "truncated file"},
		{"header too long", append([]byte{0xff, 0xff, 0, 0, 0, 0, 0, 0}, good[8:]...), "does not fit"},
		{"not json", append([]byte{4, 0, 0, 0, 0, 0, 0, 0}, "nope"...), "not a JSON object"},
		{"unknown cell", rewrite(t, m, func(_ map[string]Tensor, md map[string]string) { md["cell"] = "transformer" }), `unknown cell "transformer"`},
		{"wrong format", rewrite(t, m, func(_ map[string]Tensor, md map[string]string) { md["format"] = "x" }), "metadata format"},
		{"labels count", rewrite(t, m, func(_ map[string]Tensor, md map[string]string) { md["labels"] = `["a","b"]` }), "labels has 2 names but head.weight has 3"},
		{"labels not json", rewrite(t, m, func(_ map[string]Tensor, md map[string]string) { md["labels"] = `a,b,c` }), "JSON array"},
		{"hidden mismatch", rewrite(t, m, func(_ map[string]Tensor, md map[string]string) { md["hidden_size"] = "7" }), "hidden_size is \"7\" but the tensors say 5"},
		{"layers mismatch", rewrite(t, m, func(_ map[string]Tensor, md map[string]string) { md["num_layers"] = "3" }), "num_layers"},
		{"shape mismatch", rewrite(t, m, func(ts map[string]Tensor, _ map[string]string) {
			ts["rnn.weight_hh_l1"] = Tensor{Shape: []int{15, 4}, Data: make([]float32, 60)}
		}), "rnn.weight_hh_l1 has shape [15 4], want [15 5]"},
		{"missing bias", rewrite(t, m, func(ts map[string]Tensor, _ map[string]string) { delete(ts, "rnn.bias_hh_l0") }), "rnn.bias_hh_l0 is missing"},
		{"head classes", rewrite(t, m, func(ts map[string]Tensor, _ map[string]string) {
			ts["head.bias"] = Tensor{Shape: []int{4}, Data: make([]float32, 4)}
		}), "head.bias has shape [4], want [3]"},
		{"extra tensor", rewrite(t, m, func(ts map[string]Tensor, _ map[string]string) {
			ts["rnn.weight_ih_l0_reverse"] = Tensor{Shape: []int{1}, Data: []float32{1}}
		}), "unexpected tensors rnn.weight_ih_l0_reverse"},
		{"nan", rewrite(t, m, func(ts map[string]Tensor, _ map[string]string) { ts["head.bias"].Data[1] = float32(math.NaN()) }), "NaN"},
		{"zero std", rewrite(t, m, func(ts map[string]Tensor, _ map[string]string) { ts["norm.std"].Data[2] = 0 }), "norm.std[2]"},
		{"mode", rewrite(t, m, func(_ map[string]Tensor, md map[string]string) { md["mode"] = "one-to-many" }), "metadata mode"},
		{"window", rewrite(t, m, func(_ map[string]Tensor, md map[string]string) { md["mode"] = "many-to-one"; md["window"] = "0" }), "metadata window"},
		{"stride", rewrite(t, m, func(_ map[string]Tensor, md map[string]string) {
			md["mode"], md["window"], md["stride"] = "many-to-one", "4", "5"
		}), "metadata stride"},
	}
	for _, c := range cases {
		_, err := Unmarshal(c.file)
		if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrFormat containing %q", c.name, err, c.want)
		}
	}
}

// TestLoadOtherDtypes writes the same weights as F64, F16 and BF16 by hand
// and checks they load as the float32 values they encode.
func TestLoadOtherDtypes(t *testing.T) {
	m := testModel(CellRNN, 1)
	f32, _ := m.Marshal()
	ts, meta, _ := ReadSafetensors(f32)
	for _, dt := range []string{"F64", "F16", "BF16"} {
		enc, want := encodeAs(ts, meta, dt)
		got, err := Unmarshal(enc)
		if err != nil {
			t.Fatalf("%s: %v", dt, err)
		}
		for i, v := range got.HeadW {
			if v != want["head.weight"][i] {
				t.Fatalf("%s: head.weight[%d] = %v, want %v", dt, i, v, want["head.weight"][i])
			}
			if math.Abs(float64(v-m.HeadW[i])) > 2e-2 {
				t.Fatalf("%s: head.weight[%d] = %v, far from %v", dt, i, v, m.HeadW[i])
			}
		}
	}
}

// encodeAs writes tensors in dtype and returns the values each decodes to.
func encodeAs(ts map[string]Tensor, meta map[string]string, dtype string) ([]byte, map[string][]float32) {
	hdr := map[string]any{"__metadata__": meta}
	var data []byte
	want := map[string][]float32{}
	for name, tn := range ts {
		lo := len(data)
		for _, v := range tn.Data {
			switch dtype {
			case "F64":
				data = binary.LittleEndian.AppendUint64(data, math.Float64bits(float64(v)))
				want[name] = append(want[name], v)
			case "BF16":
				u := uint16(math.Float32bits(v) >> 16)
				data = binary.LittleEndian.AppendUint16(data, u)
				want[name] = append(want[name], math.Float32frombits(uint32(u)<<16))
			case "F16":
				u := floatToHalf(v)
				data = binary.LittleEndian.AppendUint16(data, u)
				want[name] = append(want[name], halfToFloat(u))
			}
		}
		hdr[name] = stEntry{DType: dtype, Shape: tn.Shape, DataOffsets: [2]int64{int64(lo), int64(len(data))}}
	}
	js, _ := json.Marshal(hdr)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	return append(append(out, js...), data...), want
}

// floatToHalf truncates a normal float32 of small magnitude to binary16.
func floatToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	if exp <= 0 {
		return sign
	}
	return sign | uint16(exp)<<10 | uint16(b>>13&0x3ff)
}

func TestHalfToFloat(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{{0x3c00, 1}, {0xc000, -2}, {0x3555, 0.33325195}, {0x0001, 5.9604645e-08}, {0x7bff, 65504}, {0x8000, 0}} {
		if got := halfToFloat(c.h); got != c.want {
			t.Errorf("%#04x: %v, want %v", c.h, got, c.want)
		}
	}
	if !math.IsInf(float64(halfToFloat(0x7c00)), 1) {
		t.Error("0x7c00 is not +Inf")
	}
}

func TestCheckBackbone(t *testing.T) {
	m := testModel(CellGRU, 1)
	if err := m.CheckBackbone("mobilenetv2", 6, "AB12"); err != nil {
		t.Error(err)
	}
	if err := m.CheckBackbone("mobilenetv2", 6, "cd34"); !errors.Is(err, ErrBackbone) {
		t.Errorf("sha mismatch: %v", err)
	}
	if err := m.CheckBackbone("mobilenetv2", 64, ""); !errors.Is(err, ErrBackbone) || !strings.Contains(err.Error(), "64 features") {
		t.Errorf("dim mismatch: %v", err)
	}
	if err := m.CheckBackbone("/models/other.onnx", 6, "ab12"); err != nil {
		t.Errorf("same file elsewhere: %v", err)
	}
	if err := m.CheckBackbone("mobilenetv2", 6, ""); err != nil {
		t.Errorf("same name, no file: %v", err)
	}
	if err := m.CheckBackbone("descriptor", 6, ""); !errors.Is(err, ErrBackbone) || !strings.Contains(err.Error(), `"mobilenetv2"`) {
		t.Errorf("name mismatch: %v", err)
	}
}

// FuzzUnmarshal feeds arbitrary bytes to the loader: it must return a model
// that validates or an error, never panic.
func FuzzUnmarshal(f *testing.F) {
	for _, c := range []Cell{CellRNN, CellGRU, CellLSTM} {
		m := testModel(c, 2)
		b, _ := m.Marshal()
		f.Add(b)
	}
	for _, name := range []string{"gru-tiny", "lstm-tiny"} {
		if b, err := os.ReadFile("testdata/" + name + ".safetensors"); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error without ErrFormat: %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		s := m.NewState()
		m.Step(s, make([]float32, m.InputSize), make([]float32, m.Classes()))
	})
}
