package rnn

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// FormatName is the value of the "format" metadata key of a model file.
const FormatName = "activityd.rnn.v1"

// ErrBackbone is wrapped when a model was trained on another backbone than
// the one it is asked to run with.
var ErrBackbone = errors.New("rnn: backbone mismatch")

// Load reads a model file (see docs/model-format.md).
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rnn: %w", err)
	}
	m, err := Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return m, nil
}

// Save writes m to path in the model file format.
func (m *Model) Save(path string) error {
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("rnn: %w", err)
	}
	return os.Rename(tmp, path)
}

// Marshal encodes m as a safetensors file with PyTorch's tensor names.
func (m *Model) Marshal() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	G, H := m.Cell.Gates(), m.HiddenSize
	t := map[string]Tensor{}
	for k, L := range m.Layers {
		t[fmt.Sprintf("rnn.weight_ih_l%d", k)] = Tensor{Shape: []int{G * H, L.In}, Data: L.Wih}
		t[fmt.Sprintf("rnn.weight_hh_l%d", k)] = Tensor{Shape: []int{G * H, H}, Data: L.Whh}
		t[fmt.Sprintf("rnn.bias_ih_l%d", k)] = Tensor{Shape: []int{G * H}, Data: L.Bih}
		t[fmt.Sprintf("rnn.bias_hh_l%d", k)] = Tensor{Shape: []int{G * H}, Data: L.Bhh}
	}
	t["head.weight"] = Tensor{Shape: []int{m.Classes(), H}, Data: m.HeadW}
	t["head.bias"] = Tensor{Shape: []int{m.Classes()}, Data: m.HeadB}
	if m.Mean != nil {
		t["norm.mean"] = Tensor{Shape: []int{m.InputSize}, Data: m.Mean}
		t["norm.std"] = Tensor{Shape: []int{m.InputSize}, Data: m.Std}
	}
	labels, _ := json.Marshal(m.Labels)
	meta := map[string]string{
		"format":      FormatName,
		"cell":        string(m.Cell),
		"num_layers":  strconv.Itoa(len(m.Layers)),
		"hidden_size": strconv.Itoa(H),
		"input_size":  strconv.Itoa(m.InputSize),
		"mode":        string(m.mode()),
		"labels":      string(labels),
		"fps":         strconv.FormatFloat(m.FPS, 'g', -1, 64),
		"backbone":    m.backboneString(),
	}
	if m.FeatureMode != "" {
		meta["feature_mode"] = m.FeatureMode
	}
	if m.IsManyToOne() {
		meta["window"] = strconv.Itoa(m.Window)
		meta["stride"] = strconv.Itoa(m.Stride)
		meta["head"] = string(m.head())
	}
	return WriteSafetensors(t, meta)
}

func (m *Model) mode() Mode {
	if m.Mode == "" {
		return ModeManyToMany
	}
	return m.Mode
}

func (m *Model) head() Head {
	if m.Head == "" {
		return HeadLast
	}
	return m.Head
}

// backboneString is the "backbone" metadata value: the name, then
// "@sha256:" and the hex digest when the backbone is a file.
func (m *Model) backboneString() string {
	if m.BackboneSHA256 == "" {
		return m.Backbone
	}
	return m.Backbone + "@sha256:" + m.BackboneSHA256
}

// Unmarshal decodes a model file. Every inconsistency is an error that
// names the tensor or metadata key at fault.
func Unmarshal(b []byte) (*Model, error) {
	ts, meta, err := ReadSafetensors(b)
	if err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, a...))
	}
	if f := meta["format"]; f != FormatName {
		return nil, bad("metadata format is %q, want %q", f, FormatName)
	}
	m := &Model{Cell: Cell(meta["cell"])}
	switch m.Cell {
	case CellRNN, CellGRU, CellLSTM:
	default:
		return nil, bad("unknown cell %q (want rnn, gru or lstm)", meta["cell"])
	}
	G := m.Cell.Gates()
	used := map[string]bool{}
	get := func(name string, dims int) (Tensor, error) {
		t, ok := ts[name]
		if !ok {
			return t, bad("tensor %s is missing", name)
		}
		used[name] = true
		if len(t.Shape) != dims {
			return t, bad("tensor %s has shape %v, want %d dimensions", name, t.Shape, dims)
		}
		for _, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return t, bad("tensor %s holds NaN or infinite values", name)
			}
		}
		return t, nil
	}
	w0, err := get("rnn.weight_ih_l0", 2)
	if err != nil {
		return nil, err
	}
	if w0.Shape[0]%G != 0 || w0.Shape[0] == 0 || w0.Shape[1] == 0 {
		return nil, bad("tensor rnn.weight_ih_l0 has shape %v: rows must be a positive multiple of %d for %s", w0.Shape, G, m.Cell)
	}
	m.HiddenSize, m.InputSize = w0.Shape[0]/G, w0.Shape[1]
	H := m.HiddenSize
	for k := 0; ; k++ {
		name := fmt.Sprintf("rnn.weight_ih_l%d", k)
		if _, ok := ts[name]; !ok {
			break
		}
		in := H
		if k == 0 {
			in = m.InputSize
		}
		L := Layer{In: in}
		for _, p := range []struct {
			name  string
			shape []int
			dst   *[]float32
		}{
			{fmt.Sprintf("rnn.weight_ih_l%d", k), []int{G * H, in}, &L.Wih},
			{fmt.Sprintf("rnn.weight_hh_l%d", k), []int{G * H, H}, &L.Whh},
			{fmt.Sprintf("rnn.bias_ih_l%d", k), []int{G * H}, &L.Bih},
			{fmt.Sprintf("rnn.bias_hh_l%d", k), []int{G * H}, &L.Bhh},
		} {
			t, err := get(p.name, len(p.shape))
			if err != nil {
				return nil, err
			}
			if !equalShape(t.Shape, p.shape) {
				return nil, bad("tensor %s has shape %v, want %v for a %s with hidden size %d", p.name, t.Shape, p.shape, m.Cell, H)
			}
			*p.dst = t.Data
		}
		m.Layers = append(m.Layers, L)
	}
	hw, err := get("head.weight", 2)
	if err != nil {
		return nil, err
	}
	if hw.Shape[1] != H || hw.Shape[0] == 0 {
		return nil, bad("tensor head.weight has shape %v, want [C %d]", hw.Shape, H)
	}
	C := hw.Shape[0]
	hb, err := get("head.bias", 1)
	if err != nil {
		return nil, err
	}
	if hb.Shape[0] != C {
		return nil, bad("tensor head.bias has shape %v, want [%d]", hb.Shape, C)
	}
	m.HeadW, m.HeadB = hw.Data, hb.Data
	_, hasMean := ts["norm.mean"]
	_, hasStd := ts["norm.std"]
	if hasMean != hasStd {
		return nil, bad("norm.mean and norm.std must come together")
	}
	if hasMean {
		mean, err := get("norm.mean", 1)
		if err != nil {
			return nil, err
		}
		std, err := get("norm.std", 1)
		if err != nil {
			return nil, err
		}
		if mean.Shape[0] != m.InputSize || std.Shape[0] != m.InputSize {
			return nil, bad("norm.mean %v and norm.std %v must both be [%d]", mean.Shape, std.Shape, m.InputSize)
		}
		for i, s := range std.Data {
			if !(s > 0) {
				return nil, bad("norm.std[%d] is %v, want > 0", i, s)
			}
		}
		m.Mean, m.Std = mean.Data, std.Data
	}
	var extra []string
	for n := range ts {
		if !used[n] {
			extra = append(extra, n)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, bad("unexpected tensors %s (bidirectional and projected cells are not supported)", strings.Join(extra, ", "))
	}

	// Metadata must agree with the tensors.
	for key, want := range map[string]int{"num_layers": len(m.Layers), "hidden_size": H, "input_size": m.InputSize} {
		v, ok := meta[key]
		if !ok {
			return nil, bad("metadata %s is missing", key)
		}
		if n, err := strconv.Atoi(v); err != nil || n != want {
			return nil, bad("metadata %s is %q but the tensors say %d", key, v, want)
		}
	}
	if err := json.Unmarshal([]byte(meta["labels"]), &m.Labels); err != nil {
		return nil, bad("metadata labels must be a JSON array of strings: %v", err)
	}
	if len(m.Labels) != C {
		return nil, bad("metadata labels has %d names but head.weight has %d classes", len(m.Labels), C)
	}
	m.Mode = Mode(meta["mode"])
	switch m.Mode {
	case ModeManyToMany:
	case ModeManyToOne:
		if m.Window, err = strconv.Atoi(meta["window"]); err != nil || m.Window < 1 || m.Window > 1<<16 {
			return nil, bad("metadata window is %q, want a frame count >= 1 for many-to-one", meta["window"])
		}
		if m.Stride, err = strconv.Atoi(meta["stride"]); err != nil || m.Stride < 1 || m.Stride > m.Window {
			return nil, bad("metadata stride is %q, want 1..window (%d)", meta["stride"], m.Window)
		}
		m.Head = Head(meta["head"])
		switch m.Head {
		case "":
			m.Head = HeadLast
		case HeadLast, HeadMean:
		default:
			return nil, bad("metadata head is %q, want last or mean", meta["head"])
		}
	default:
		return nil, bad("metadata mode is %q, want many-to-one or many-to-many", meta["mode"])
	}
	if v := meta["fps"]; v != "" {
		if m.FPS, err = strconv.ParseFloat(v, 64); err != nil || m.FPS < 0 || math.IsInf(m.FPS, 0) || math.IsNaN(m.FPS) {
			return nil, bad("metadata fps is %q, want a rate >= 0", v)
		}
	}
	m.Backbone, m.BackboneSHA256, _ = strings.Cut(meta["backbone"], "@sha256:")
	m.FeatureMode = meta["feature_mode"]
	return m, m.Validate()
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Validate checks that the model's sizes agree with each other.
func (m *Model) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, a...))
	}
	G, H := m.Cell.Gates(), m.HiddenSize
	switch m.Cell {
	case CellRNN, CellGRU, CellLSTM:
	default:
		return bad("unknown cell %q", m.Cell)
	}
	if H < 1 || m.InputSize < 1 || len(m.Layers) == 0 {
		return bad("hidden size %d, input size %d, %d layers", H, m.InputSize, len(m.Layers))
	}
	for k, L := range m.Layers {
		in := H
		if k == 0 {
			in = m.InputSize
		}
		if L.In != in || len(L.Wih) != G*H*in || len(L.Whh) != G*H*H || len(L.Bih) != G*H || len(L.Bhh) != G*H {
			return bad("layer %d sizes do not fit input %d, hidden %d, %d gates", k, in, H, G)
		}
	}
	C := m.Classes()
	if C == 0 || len(m.HeadW) != C*H {
		return bad("head is [%d] x [%d], want [C %d]", len(m.HeadW), C, H)
	}
	if len(m.Labels) != C {
		return bad("%d labels for %d classes", len(m.Labels), C)
	}
	if (m.Mean == nil) != (m.Std == nil) || (m.Mean != nil && (len(m.Mean) != m.InputSize || len(m.Std) != m.InputSize)) {
		return bad("norm must have mean and std of %d values", m.InputSize)
	}
	if m.IsManyToOne() && (m.Window < 1 || m.Stride < 1 || m.Stride > m.Window) {
		return bad("many-to-one needs window >= 1 and 1 <= stride <= window, have %d and %d", m.Window, m.Stride)
	}
	return nil
}

// CheckBackbone reports whether the model may run on features from the
// backbone called name, of dim values, whose file has the given sha256
// (empty for a built-in backbone).
func (m *Model) CheckBackbone(name string, dim int, sha256 string) error {
	if dim != m.InputSize {
		return fmt.Errorf("%w: backbone %s gives %d features but model %s takes %d", ErrBackbone, name, dim, m.Name, m.InputSize)
	}
	return m.CheckBackboneID(name, sha256)
}

// CheckBackboneID compares the backbone the model was trained on with the
// configured one: by file sha256 when both are known (the same file under
// another path is the same backbone), else by name. A model that does not
// record its backbone accepts any.
func (m *Model) CheckBackboneID(name, sha256 string) error {
	if m.BackboneSHA256 != "" && sha256 != "" {
		if !strings.EqualFold(m.BackboneSHA256, sha256) {
			return fmt.Errorf("%w: model %s was trained on backbone file sha256 %s, the configured one is %s",
				ErrBackbone, m.Name, m.BackboneSHA256, sha256)
		}
		return nil
	}
	if m.Backbone != "" && name != m.Backbone {
		return fmt.Errorf("%w: model %s was trained on backbone %q, the configured one is %q", ErrBackbone, m.Name, m.Backbone, name)
	}
	return nil
}

// FileSHA256 returns the hex sha256 of a file's content.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// BackboneSHA256 returns the sha256 of the configured backbone when it is a
// file, and "" when it names a built-in or installed backbone.
func BackboneSHA256(backbone string) (string, error) {
	st, err := os.Stat(backbone)
	if err != nil || st.IsDir() {
		return "", nil
	}
	return FileSHA256(backbone)
}
