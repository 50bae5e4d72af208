package tfjs

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// Layer is one Keras layer of the topology.
type Layer struct {
	Name   string
	Class  string
	Config map[string]any
	// Inputs are the names of the layers whose outputs this one reads (of
	// its first inbound node; shared layers are not supported).
	Inputs []string
}

// Model is a parsed TF.js layers model with its weights dequantised.
type Model struct {
	KerasVersion string
	Layers       []Layer
	OutputLayers []string
	// Weights maps "layer/kind" (e.g. "Conv1/kernel") to its values and
	// shape.
	Weights map[string]Weight
}

// Weight is one float32 weight tensor in TF's layout.
type Weight struct {
	Shape []int
	Data  []float32
}

// limits on what Parse accepts, so that hostile input cannot ask for
// unbounded memory.
const (
	maxLayers       = 10000
	maxWeightValues = 1 << 28
)

// Parse reads a TF.js layers model: modelSrc is model.json or a JS module
// wrapping it; weightsSrc is the binary weights, or a JS module exporting
// them as a base64 string. The weights manifest must list the tensors in
// the order the weights hold them.
func Parse(modelSrc, weightsSrc []byte) (*Model, error) {
	root, err := moduleValue(modelSrc)
	if err != nil {
		return nil, err
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: model is not an object", ErrSyntax)
	}
	m := &Model{Weights: map[string]Weight{}}
	topo := getMap(obj, "modelTopology")
	if topo == nil {
		return nil, fmt.Errorf("%w: no modelTopology", ErrSyntax)
	}
	m.KerasVersion, _ = topo["keras_version"].(string)
	mc := getMap(topo, "model_config")
	if mc == nil {
		mc = topo // some exporters put the model config at the top
	}
	if cls, _ := mc["class_name"].(string); cls != "Model" && cls != "Functional" {
		return nil, fmt.Errorf("%w: model class %q (only functional models are supported)", ErrSyntax, cls)
	}
	cfg := getMap(mc, "config")
	if cfg == nil {
		return nil, fmt.Errorf("%w: model_config has no config", ErrSyntax)
	}
	layers, _ := cfg["layers"].([]any)
	if len(layers) == 0 || len(layers) > maxLayers {
		return nil, fmt.Errorf("%w: %d layers", ErrSyntax, len(layers))
	}
	for i, l := range layers {
		lm, ok := l.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: layer %d is not an object", ErrSyntax, i)
		}
		layer := Layer{Config: getMap(lm, "config")}
		layer.Name, _ = lm["name"].(string)
		layer.Class, _ = lm["class_name"].(string)
		if layer.Name == "" || layer.Class == "" || layer.Config == nil {
			return nil, fmt.Errorf("%w: layer %d lacks a name, class or config", ErrSyntax, i)
		}
		inbound, _ := lm["inbound_nodes"].([]any)
		if len(inbound) > 1 {
			return nil, fmt.Errorf("%w: layer %s is shared (%d inbound nodes)", ErrSyntax, layer.Name, len(inbound))
		}
		if len(inbound) == 1 {
			node, _ := inbound[0].([]any)
			for _, in := range node {
				ref, _ := in.([]any)
				if len(ref) == 0 {
					return nil, fmt.Errorf("%w: layer %s has a bad inbound node", ErrSyntax, layer.Name)
				}
				name, ok := ref[0].(string)
				if !ok {
					return nil, fmt.Errorf("%w: layer %s has a bad inbound node", ErrSyntax, layer.Name)
				}
				layer.Inputs = append(layer.Inputs, name)
			}
		}
		m.Layers = append(m.Layers, layer)
	}
	outs, _ := cfg["output_layers"].([]any)
	for _, o := range outs {
		ref, _ := o.([]any)
		if len(ref) > 0 {
			if name, ok := ref[0].(string); ok {
				m.OutputLayers = append(m.OutputLayers, name)
			}
		}
	}

	manifest, _ := obj["weightsManifest"].([]any)
	raw, err := weightBytes(weightsSrc)
	if err != nil {
		return nil, err
	}
	if err := m.readWeights(manifest, raw); err != nil {
		return nil, err
	}
	return m, nil
}

// weightBytes returns the binary weights: decoded from a JS module's base64
// string, or src itself.
func weightBytes(src []byte) ([]byte, error) {
	if !strings.Contains(string(src[:min(len(src), 4096)]), ".exports=") {
		return src, nil
	}
	v, err := moduleValue(src)
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%w: weights module does not export a string", ErrSyntax)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: weights: %v", ErrSyntax, err)
	}
	return b, nil
}

func (m *Model) readWeights(manifest []any, raw []byte) error {
	off := 0
	for _, g := range manifest {
		gm, ok := g.(map[string]any)
		if !ok {
			return fmt.Errorf("%w: weights manifest group is not an object", ErrSyntax)
		}
		specs, _ := gm["weights"].([]any)
		for _, s := range specs {
			sm, ok := s.(map[string]any)
			if !ok {
				return fmt.Errorf("%w: weight spec is not an object", ErrSyntax)
			}
			name, _ := sm["name"].(string)
			shape, err := intList(sm["shape"])
			if err != nil || name == "" {
				return fmt.Errorf("%w: weight spec %q: bad name or shape", ErrSyntax, name)
			}
			n := 1
			for _, d := range shape {
				if d < 0 || (d > 0 && n > maxWeightValues/d) {
					return fmt.Errorf("%w: weight %s: shape %v too large", ErrSyntax, name, shape)
				}
				n *= d
			}
			if dt, _ := sm["dtype"].(string); dt != "float32" {
				return fmt.Errorf("%w: weight %s: dtype %q (only float32 is supported)", ErrSyntax, name, dt)
			}
			w := Weight{Shape: shape}
			if q := getMap(sm, "quantization"); q != nil {
				qt, _ := q["dtype"].(string)
				scale, ok1 := q["scale"].(float64)
				qmin, ok2 := q["min"].(float64)
				size := map[string]int{"uint8": 1, "uint16": 2}[qt]
				if size == 0 || !ok1 || !ok2 {
					return fmt.Errorf("%w: weight %s: unsupported quantisation %q", ErrSyntax, name, qt)
				}
				if off+n*size > len(raw) {
					return fmt.Errorf("%w: weights end at byte %d, %s needs %d more", ErrSyntax, len(raw), name, off+n*size-len(raw))
				}
				w.Data = make([]float32, n)
				for i := range w.Data {
					var q uint64
					if size == 1 {
						q = uint64(raw[off+i])
					} else {
						q = uint64(binary.LittleEndian.Uint16(raw[off+2*i:]))
					}
					// As TF.js does: in double precision, then to float32.
					w.Data[i] = float32(float64(q)*scale + qmin)
				}
				off += n * size
			} else {
				if off+4*n > len(raw) {
					return fmt.Errorf("%w: weights end at byte %d, %s needs %d more", ErrSyntax, len(raw), name, off+4*n-len(raw))
				}
				w.Data = make([]float32, n)
				for i := range w.Data {
					w.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[off+4*i:]))
				}
				off += 4 * n
			}
			m.Weights[name] = w
		}
	}
	if off != len(raw) {
		return fmt.Errorf("%w: the manifest describes %d bytes of weights, the file holds %d", ErrSyntax, off, len(raw))
	}
	return nil
}

func getMap(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

func intList(v any) ([]int, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a list")
	}
	out := make([]int, len(arr))
	for i, x := range arr {
		f, ok := x.(float64)
		if !ok || f != math.Trunc(f) || f < 0 || f > 1<<30 {
			return nil, fmt.Errorf("not a list of sizes")
		}
		out[i] = int(f)
	}
	return out, nil
}
