package tfjs

import (
	"errors"
	"fmt"
	"math"

	"github.com/activityd/activityd/features/onnxpb"
)

// ErrUnsupported is returned for a layer, option or shape the converter
// cannot express.
var ErrUnsupported = errors.New("tfjs: unsupported")

// Output names one graph output: the ONNX name, and the Keras layer whose
// output it is.
type Output struct {
	Name  string
	Layer string
}

// Options steer Convert.
type Options struct {
	// Outputs are the graph outputs; empty means the model's own output
	// layers under their layer names.
	Outputs []Output
	// InputName names the graph input; empty means "input".
	InputName string
	// BatchParam names the symbolic batch dimension; empty means "N".
	BatchParam      string
	ProducerVersion string
	Doc             string
	Metadata        [][2]string
}

// Opset is the ONNX operator set the converter writes: 10, the last with
// Clip's limits and Pad's pads as attributes, which OpenCV 4.6's importer
// expects.
const Opset = 10

// tensor is a converted layer output: its ONNX name and its shape without
// the batch dimension (C,H,W for maps, F for vectors).
type tensor struct {
	name  string
	shape []int64
	// conv is the index of the Conv node that produced it, or -1.
	conv int
}

type converter struct {
	m      *Model
	opt    Options
	out    onnxpb.Model
	ts     map[string]tensor // by Keras layer name
	rename map[string]string // Keras layer -> requested output name
	uses   map[string]int    // how many layers read each layer
	inits  map[string]int    // initialiser index by name
	info   map[string][]int64
}

// Convert translates m into an ONNX model (opset 10, NCHW, float32, a
// symbolic batch dimension) and returns its encoded bytes.
func Convert(m *Model, opt Options) ([]byte, error) {
	if opt.InputName == "" {
		opt.InputName = "input"
	}
	if opt.BatchParam == "" {
		opt.BatchParam = "N"
	}
	if len(opt.Outputs) == 0 {
		for _, l := range m.OutputLayers {
			opt.Outputs = append(opt.Outputs, Output{Name: l, Layer: l})
		}
	}
	if len(opt.Outputs) == 0 {
		return nil, fmt.Errorf("%w: no outputs", ErrUnsupported)
	}
	c := &converter{m: m, opt: opt, ts: map[string]tensor{}, rename: map[string]string{},
		uses: map[string]int{}, inits: map[string]int{}, info: map[string][]int64{}}
	for _, o := range opt.Outputs {
		c.rename[o.Layer] = o.Name
	}
	for _, l := range m.Layers {
		for _, in := range l.Inputs {
			c.uses[in]++
		}
	}
	c.out = onnxpb.Model{
		IRVersion: 5, Opset: Opset, ProducerName: "activityd-tfjs",
		ProducerVersion: opt.ProducerVersion, Doc: opt.Doc, GraphName: "backbone",
		Metadata: opt.Metadata,
	}
	for _, l := range m.Layers {
		if err := c.layer(l); err != nil {
			return nil, fmt.Errorf("layer %s (%s): %w", l.Name, l.Class, err)
		}
	}
	outputs := map[string]bool{}
	for _, o := range opt.Outputs {
		t, ok := c.ts[o.Layer]
		if !ok {
			return nil, fmt.Errorf("%w: output layer %q is not in the model", ErrUnsupported, o.Layer)
		}
		if t.name != o.Name {
			// An alias (a dropout, say): give the output its own name.
			c.node(o.Layer+"/out", "Identity", []string{t.name}, o.Name, t.shape)
		}
		c.out.Outputs = append(c.out.Outputs, c.valueInfo(o.Name, t.shape))
		outputs[o.Name] = true
	}
	for _, n := range c.out.Nodes {
		for _, o := range n.Outputs {
			if !outputs[o] {
				c.out.ValueInfo = append(c.out.ValueInfo, c.valueInfo(o, c.info[o]))
			}
		}
	}
	return onnxpb.Marshal(&c.out), nil
}

func (c *converter) valueInfo(name string, shape []int64) onnxpb.ValueInfo {
	dims := []onnxpb.Dim{{Param: c.opt.BatchParam}}
	for _, d := range shape {
		dims = append(dims, onnxpb.Dim{Value: d})
	}
	return onnxpb.ValueInfo{Name: name, Elem: onnxpb.Float, Shape: dims}
}

// tname is the ONNX name of a layer's output.
func (c *converter) tname(layer string) string {
	if n, ok := c.rename[layer]; ok {
		return n
	}
	return layer
}

func (c *converter) node(name, op string, inputs []string, output string, shape []int64, attrs ...onnxpb.Attr) int {
	c.out.Nodes = append(c.out.Nodes, onnxpb.Node{Name: name, Op: op, Inputs: inputs, Outputs: []string{output}, Attrs: attrs})
	c.info[output] = shape
	return len(c.out.Nodes) - 1
}

func (c *converter) init(name string, dims []int64, data []float32) string {
	c.inits[name] = len(c.out.Initializers)
	c.out.Initializers = append(c.out.Initializers, onnxpb.Tensor{Name: name, Dims: dims, Data: data})
	return name
}

func (c *converter) weight(layer, kind string, shape ...int) (Weight, error) {
	w, ok := c.m.Weights[layer+"/"+kind]
	if !ok {
		return Weight{}, fmt.Errorf("%w: weight %s/%s is missing", ErrSyntax, layer, kind)
	}
	if len(w.Shape) != len(shape) {
		return Weight{}, fmt.Errorf("%w: weight %s/%s has shape %v, want %v", ErrSyntax, layer, kind, w.Shape, shape)
	}
	for i, d := range shape {
		if d >= 0 && w.Shape[i] != d {
			return Weight{}, fmt.Errorf("%w: weight %s/%s has shape %v, want %v", ErrSyntax, layer, kind, w.Shape, shape)
		}
	}
	return w, nil
}

func (c *converter) input(l Layer, i int) (tensor, error) {
	if i >= len(l.Inputs) {
		return tensor{}, fmt.Errorf("%w: missing input %d", ErrSyntax, i)
	}
	t, ok := c.ts[l.Inputs[i]]
	if !ok {
		return tensor{}, fmt.Errorf("%w: input %q is not defined before it is used", ErrSyntax, l.Inputs[i])
	}
	return t, nil
}

func (c *converter) input4(l Layer) (tensor, error) {
	t, err := c.input(l, 0)
	if err == nil && len(t.shape) != 3 {
		err = fmt.Errorf("%w: needs a spatial (4-D) input, got %v", ErrUnsupported, t.shape)
	}
	return t, err
}

func cfgString(cfg map[string]any, key, def string) string {
	if s, ok := cfg[key].(string); ok {
		return s
	}
	return def
}

func cfgFloat(cfg map[string]any, key string, def float64) float64 {
	if f, ok := cfg[key].(float64); ok {
		return f
	}
	return def
}

// cfgPair reads an int or a pair of ints (kernel sizes, strides).
func cfgPair(cfg map[string]any, key string, def int) ([2]int, error) {
	switch v := cfg[key].(type) {
	case nil:
		return [2]int{def, def}, nil
	case float64:
		return [2]int{int(v), int(v)}, nil
	default:
		l, err := intList(v)
		if err != nil || len(l) != 2 || l[0] < 1 || l[1] < 1 || l[0] > 1<<16 || l[1] > 1<<16 {
			return [2]int{}, fmt.Errorf("%w: %s is not a pair of positive sizes", ErrSyntax, key)
		}
		return [2]int{l[0], l[1]}, nil
	}
}

func checkChannelsLast(cfg map[string]any) error {
	if f := cfgString(cfg, "data_format", "channels_last"); f != "channels_last" {
		return fmt.Errorf("%w: data_format %q", ErrUnsupported, f)
	}
	return nil
}

// spatial works out output size and TF-style padding (begin, end) of a
// window op along one axis.
func spatial(in int64, k, s, d int, padding string) (out, begin, end int64, err error) {
	eff := int64((k-1)*d + 1)
	switch padding {
	case "valid":
		if in < eff {
			return 0, 0, 0, fmt.Errorf("%w: window %d larger than input %d", ErrUnsupported, eff, in)
		}
		return (in-eff)/int64(s) + 1, 0, 0, nil
	case "same":
		out = (in + int64(s) - 1) / int64(s)
		total := max((out-1)*int64(s)+eff-in, 0)
		return out, total / 2, total - total/2, nil
	}
	return 0, 0, 0, fmt.Errorf("%w: padding %q", ErrUnsupported, padding)
}

func (c *converter) layer(l Layer) error {
	if l.Class != "InputLayer" {
		if err := checkChannelsLast(l.Config); err != nil {
			return err
		}
	}
	switch l.Class {
	case "InputLayer":
		shape, err := intListNullable(l.Config["batch_input_shape"])
		if err != nil || len(shape) != 4 {
			return fmt.Errorf("%w: batch_input_shape must be [null, H, W, C]", ErrUnsupported)
		}
		name := c.opt.InputName
		t := tensor{name: name, shape: []int64{int64(shape[3]), int64(shape[1]), int64(shape[2])}, conv: -1}
		c.out.Inputs = append(c.out.Inputs, c.valueInfo(name, t.shape))
		c.ts[l.Name] = t
		return nil
	case "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout":
		t, err := c.input(l, 0)
		if err != nil {
			return err
		}
		t.conv = -1
		c.ts[l.Name] = t // identity at inference
		return nil
	case "ZeroPadding2D":
		return c.zeroPad(l)
	case "Conv2D", "DepthwiseConv2D":
		return c.conv(l)
	case "BatchNormalization":
		return c.batchNorm(l)
	case "ReLU":
		t, err := c.input(l, 0)
		if err != nil {
			return err
		}
		if th := cfgFloat(l.Config, "threshold", 0); th != 0 {
			return fmt.Errorf("%w: ReLU threshold %v", ErrUnsupported, th)
		}
		if ns := cfgFloat(l.Config, "negative_slope", 0); ns != 0 {
			if _, ok := l.Config["max_value"].(float64); ok {
				return fmt.Errorf("%w: ReLU with both negative_slope and max_value", ErrUnsupported)
			}
			c.emit(l, "LeakyRelu", []string{t.name}, t.shape, onnxpb.AttrFloat("alpha", float32(ns)))
			return nil
		}
		if mv, ok := l.Config["max_value"].(float64); ok {
			c.emit(l, "Clip", []string{t.name}, t.shape, onnxpb.AttrFloat("min", 0), onnxpb.AttrFloat("max", float32(mv)))
			return nil
		}
		c.emit(l, "Relu", []string{t.name}, t.shape)
		return nil
	case "LeakyReLU":
		t, err := c.input(l, 0)
		if err != nil {
			return err
		}
		c.emit(l, "LeakyRelu", []string{t.name}, t.shape, onnxpb.AttrFloat("alpha", float32(cfgFloat(l.Config, "alpha", 0.3))))
		return nil
	case "Activation":
		t, err := c.input(l, 0)
		if err != nil {
			return err
		}
		return c.activation(l, t, l.Name, c.tname(l.Name), cfgString(l.Config, "activation", "linear"), true)
	case "Add":
		if len(l.Inputs) < 2 {
			return fmt.Errorf("%w: Add needs two inputs or more", ErrSyntax)
		}
		acc, err := c.input(l, 0)
		if err != nil {
			return err
		}
		for i := 1; i < len(l.Inputs); i++ {
			t, err := c.input(l, i)
			if err != nil {
				return err
			}
			if !sameShape(acc.shape, t.shape) {
				return fmt.Errorf("%w: Add of shapes %v and %v", ErrUnsupported, acc.shape, t.shape)
			}
			out := c.tname(l.Name)
			if i < len(l.Inputs)-1 {
				out = fmt.Sprintf("%s/%d", l.Name, i)
			}
			c.node(out, "Add", []string{acc.name, t.name}, out, acc.shape)
			acc = tensor{name: out, shape: acc.shape, conv: -1}
		}
		c.ts[l.Name] = acc
		return nil
	case "Concatenate":
		var names []string
		var shape []int64
		for i := range l.Inputs {
			t, err := c.input(l, i)
			if err != nil {
				return err
			}
			if i == 0 {
				shape = append([]int64(nil), t.shape...)
			} else {
				if len(t.shape) != len(shape) || !sameShape(t.shape[1:], shape[1:]) {
					return fmt.Errorf("%w: Concatenate of shapes %v and %v", ErrUnsupported, shape, t.shape)
				}
				shape[0] += t.shape[0]
			}
			names = append(names, t.name)
		}
		if ax := cfgFloat(l.Config, "axis", -1); ax != -1 && int(ax) != len(shape) {
			return fmt.Errorf("%w: Concatenate on axis %v (only channels)", ErrUnsupported, ax)
		}
		c.emit(l, "Concat", names, shape, onnxpb.AttrInt("axis", 1))
		return nil
	case "AveragePooling2D", "MaxPooling2D":
		return c.pool(l)
	case "GlobalAveragePooling2D", "GlobalMaxPooling2D":
		t, err := c.input4(l)
		if err != nil {
			return err
		}
		op := "GlobalAveragePool"
		if l.Class == "GlobalMaxPooling2D" {
			op = "GlobalMaxPool"
		}
		mid := l.Name + "/pool"
		c.node(mid, op, []string{t.name}, mid, []int64{t.shape[0], 1, 1})
		c.emit(l, "Flatten", []string{mid}, []int64{t.shape[0]}, onnxpb.AttrInt("axis", 1))
		return nil
	case "Flatten":
		t, err := c.input(l, 0)
		if err != nil {
			return err
		}
		n := int64(1)
		for _, d := range t.shape {
			n *= d
		}
		in := t.name
		if len(t.shape) == 3 && (t.shape[1] != 1 || t.shape[2] != 1) {
			// Keras flattens H,W,C; the ONNX tensor is C,H,W.
			in = l.Name + "/nhwc"
			c.node(in, "Transpose", []string{t.name}, in, []int64{t.shape[1], t.shape[2], t.shape[0]},
				onnxpb.AttrInts("perm", 0, 2, 3, 1))
		}
		c.emit(l, "Flatten", []string{in}, []int64{n}, onnxpb.AttrInt("axis", 1))
		return nil
	case "Dense":
		return c.dense(l)
	}
	return fmt.Errorf("%w: layer class %s", ErrUnsupported, l.Class)
}

// emit adds the node that computes layer l.
func (c *converter) emit(l Layer, op string, inputs []string, shape []int64, attrs ...onnxpb.Attr) {
	out := c.tname(l.Name)
	c.node(l.Name, op, inputs, out, shape, attrs...)
	c.ts[l.Name] = tensor{name: out, shape: shape, conv: -1}
}

// activation applies a Keras activation to t, naming the result out.
func (c *converter) activation(l Layer, t tensor, nodeName, out, act string, always bool) error {
	var op string
	var attrs []onnxpb.Attr
	switch act {
	case "linear":
		if !always {
			return nil
		}
		op = "Identity"
	case "relu":
		op = "Relu"
	case "relu6":
		op, attrs = "Clip", []onnxpb.Attr{onnxpb.AttrFloat("min", 0), onnxpb.AttrFloat("max", 6)}
	case "sigmoid":
		op = "Sigmoid"
	case "tanh":
		op = "Tanh"
	case "softmax":
		if len(t.shape) != 1 {
			return fmt.Errorf("%w: softmax over a spatial map", ErrUnsupported)
		}
		op, attrs = "Softmax", []onnxpb.Attr{onnxpb.AttrInt("axis", 1)}
	default:
		return fmt.Errorf("%w: activation %q", ErrUnsupported, act)
	}
	c.node(nodeName, op, []string{t.name}, out, t.shape, attrs...)
	c.ts[l.Name] = tensor{name: out, shape: t.shape, conv: -1}
	return nil
}

func (c *converter) zeroPad(l Layer) error {
	t, err := c.input4(l)
	if err != nil {
		return err
	}
	var top, bottom, left, right int64
	switch v := l.Config["padding"].(type) {
	case float64:
		top, bottom, left, right = int64(v), int64(v), int64(v), int64(v)
	case []any:
		if len(v) != 2 {
			return fmt.Errorf("%w: padding", ErrSyntax)
		}
		var p [2][2]int64
		for i, x := range v {
			switch y := x.(type) {
			case float64:
				p[i] = [2]int64{int64(y), int64(y)}
			default:
				pair, err := intList(y)
				if err != nil || len(pair) != 2 {
					return fmt.Errorf("%w: padding", ErrSyntax)
				}
				p[i] = [2]int64{int64(pair[0]), int64(pair[1])}
			}
		}
		top, bottom, left, right = p[0][0], p[0][1], p[1][0], p[1][1]
	default:
		return fmt.Errorf("%w: padding", ErrSyntax)
	}
	if top < 0 || bottom < 0 || left < 0 || right < 0 || top+bottom > 1<<16 || left+right > 1<<16 {
		return fmt.Errorf("%w: padding", ErrSyntax)
	}
	shape := []int64{t.shape[0], t.shape[1] + top + bottom, t.shape[2] + left + right}
	c.emit(l, "Pad", []string{t.name}, shape, onnxpb.AttrString("mode", "constant"),
		onnxpb.AttrInts("pads", 0, 0, top, left, 0, 0, bottom, right), onnxpb.AttrFloat("value", 0))
	return nil
}

// padded returns t padded with zeros (a Pad node) when the padding is not
// symmetric, and the symmetric pads left for the window op itself.
func (c *converter) padded(l Layer, t tensor, hb, he, wb, we int64) (tensor, []int64) {
	if hb == he && wb == we {
		return t, []int64{hb, wb, he, we}
	}
	name := l.Name + "/pad"
	shape := []int64{t.shape[0], t.shape[1] + hb + he, t.shape[2] + wb + we}
	c.node(name, "Pad", []string{t.name}, name, shape, onnxpb.AttrString("mode", "constant"),
		onnxpb.AttrInts("pads", 0, 0, hb, wb, 0, 0, he, we), onnxpb.AttrFloat("value", 0))
	return tensor{name: name, shape: shape, conv: -1}, []int64{0, 0, 0, 0}
}

func (c *converter) conv(l Layer) error {
	t, err := c.input4(l)
	if err != nil {
		return err
	}
	k, err := cfgPair(l.Config, "kernel_size", 1)
	if err != nil {
		return err
	}
	s, err := cfgPair(l.Config, "strides", 1)
	if err != nil {
		return err
	}
	d, err := cfgPair(l.Config, "dilation_rate", 1)
	if err != nil {
		return err
	}
	if (s[0] > 1 || s[1] > 1) && (d[0] > 1 || d[1] > 1) {
		return fmt.Errorf("%w: strides and dilation together", ErrUnsupported)
	}
	padding := cfgString(l.Config, "padding", "valid")
	oh, hb, he, err := spatial(t.shape[1], k[0], s[0], d[0], padding)
	if err != nil {
		return err
	}
	ow, wb, we, err := spatial(t.shape[2], k[1], s[1], d[1], padding)
	if err != nil {
		return err
	}
	in := t.shape[0]
	var (
		w     []float32
		dims  []int64
		outC  int64
		group int64 = 1
	)
	if l.Class == "DepthwiseConv2D" {
		mult := int(cfgFloat(l.Config, "depth_multiplier", 1))
		if mult < 1 || mult > 1<<10 {
			return fmt.Errorf("%w: depth_multiplier %d", ErrSyntax, mult)
		}
		kw, err := c.weight(l.Name, "depthwise_kernel", k[0], k[1], int(in), mult)
		if err != nil {
			return err
		}
		outC, group = in*int64(mult), in
		w = make([]float32, len(kw.Data))
		dims = []int64{outC, 1, int64(k[0]), int64(k[1])}
		for y := 0; y < k[0]; y++ {
			for x := 0; x < k[1]; x++ {
				for ci := 0; ci < int(in); ci++ {
					for m := 0; m < mult; m++ {
						o := ci*mult + m
						w[(o*k[0]+y)*k[1]+x] = kw.Data[((y*k[1]+x)*int(in)+ci)*mult+m]
					}
				}
			}
		}
	} else {
		filters := int(cfgFloat(l.Config, "filters", 0))
		if filters < 1 || filters > 1<<16 {
			return fmt.Errorf("%w: filters %d", ErrSyntax, filters)
		}
		kw, err := c.weight(l.Name, "kernel", k[0], k[1], int(in), filters)
		if err != nil {
			return err
		}
		outC = int64(filters)
		w = make([]float32, len(kw.Data))
		dims = []int64{outC, in, int64(k[0]), int64(k[1])}
		for y := 0; y < k[0]; y++ {
			for x := 0; x < k[1]; x++ {
				for ci := 0; ci < int(in); ci++ {
					for o := 0; o < filters; o++ {
						w[((o*int(in)+ci)*k[0]+y)*k[1]+x] = kw.Data[((y*k[1]+x)*int(in)+ci)*filters+o]
					}
				}
			}
		}
	}
	inputs := []string{"", c.init(l.Name+"/W", dims, w)}
	if use, _ := l.Config["use_bias"].(bool); use {
		b, err := c.weight(l.Name, "bias", int(outC))
		if err != nil {
			return err
		}
		inputs = append(inputs, c.init(l.Name+"/B", []int64{outC}, append([]float32(nil), b.Data...)))
	}
	t, pads := c.padded(l, t, hb, he, wb, we)
	inputs[0] = t.name
	shape := []int64{outC, oh, ow}
	act := cfgString(l.Config, "activation", "linear")
	out := c.tname(l.Name)
	if act != "linear" {
		out = l.Name + "/preact"
	}
	idx := c.node(l.Name, "Conv", inputs, out, shape,
		onnxpb.AttrInts("kernel_shape", int64(k[0]), int64(k[1])),
		onnxpb.AttrInts("strides", int64(s[0]), int64(s[1])),
		onnxpb.AttrInts("dilations", int64(d[0]), int64(d[1])),
		onnxpb.AttrInts("pads", pads...),
		onnxpb.AttrInt("group", group))
	res := tensor{name: out, shape: shape, conv: idx}
	if act != "linear" {
		return c.activation(l, res, l.Name+"/act", c.tname(l.Name), act, false)
	}
	c.ts[l.Name] = res
	return nil
}

func (c *converter) bnParams(l Layer, n int) (gamma, beta, mean, variance []float32, err error) {
	get := func(kind string, def float32, present bool) ([]float32, error) {
		if !present {
			v := make([]float32, n)
			for i := range v {
				v[i] = def
			}
			return v, nil
		}
		w, err := c.weight(l.Name, kind, n)
		return w.Data, err
	}
	center, ok := l.Config["center"].(bool)
	if !ok {
		center = true
	}
	scale, ok := l.Config["scale"].(bool)
	if !ok {
		scale = true
	}
	if gamma, err = get("gamma", 1, scale); err != nil {
		return
	}
	if beta, err = get("beta", 0, center); err != nil {
		return
	}
	if mean, err = get("moving_mean", 0, true); err != nil {
		return
	}
	variance, err = get("moving_variance", 1, true)
	return
}

func (c *converter) batchNorm(l Layer) error {
	t, err := c.input(l, 0)
	if err != nil {
		return err
	}
	if ax := cfgFloat(l.Config, "axis", -1); ax != -1 && int(ax) != len(t.shape) {
		return fmt.Errorf("%w: batch normalisation over axis %v", ErrUnsupported, ax)
	}
	n := int(t.shape[0])
	gamma, beta, mean, variance, err := c.bnParams(l, n)
	if err != nil {
		return err
	}
	eps := cfgFloat(l.Config, "epsilon", 1e-3)
	// Fold into the convolution that is the only reader of its output.
	if t.conv >= 0 && c.uses[l.Inputs[0]] == 1 {
		if _, requested := c.rename[l.Inputs[0]]; !requested {
			node := &c.out.Nodes[t.conv]
			w := c.out.Initializers[c.inits[node.Inputs[1]]].Data
			per := len(w) / n
			bias := make([]float32, n)
			if len(node.Inputs) > 2 {
				copy(bias, c.out.Initializers[c.inits[node.Inputs[2]]].Data)
			}
			for o := 0; o < n; o++ {
				s := float64(gamma[o]) / math.Sqrt(float64(variance[o])+eps)
				for i := o * per; i < (o+1)*per; i++ {
					w[i] = float32(float64(w[i]) * s)
				}
				bias[o] = float32((float64(bias[o])-float64(mean[o]))*s + float64(beta[o]))
			}
			if len(node.Inputs) > 2 {
				copy(c.out.Initializers[c.inits[node.Inputs[2]]].Data, bias)
			} else {
				node.Inputs = append(node.Inputs, c.init(node.Name+"/B", []int64{int64(n)}, bias))
			}
			out := c.tname(l.Name)
			delete(c.info, node.Outputs[0])
			node.Outputs[0] = out
			c.info[out] = t.shape
			c.ts[l.Name] = tensor{name: out, shape: t.shape, conv: -1}
			return nil
		}
	}
	c.emit(l, "BatchNormalization", []string{t.name,
		c.init(l.Name+"/gamma", []int64{int64(n)}, gamma), c.init(l.Name+"/beta", []int64{int64(n)}, beta),
		c.init(l.Name+"/mean", []int64{int64(n)}, mean), c.init(l.Name+"/var", []int64{int64(n)}, variance)},
		t.shape, onnxpb.AttrFloat("epsilon", float32(eps)))
	return nil
}

func (c *converter) pool(l Layer) error {
	t, err := c.input4(l)
	if err != nil {
		return err
	}
	k, err := cfgPair(l.Config, "pool_size", 2)
	if err != nil {
		return err
	}
	s, err := cfgPair(l.Config, "strides", 0)
	if err != nil {
		return err
	}
	if s[0] == 0 {
		s = k // Keras: strides default to the pool size
	}
	padding := cfgString(l.Config, "padding", "valid")
	oh, hb, he, err := spatial(t.shape[1], k[0], s[0], 1, padding)
	if err != nil {
		return err
	}
	ow, wb, we, err := spatial(t.shape[2], k[1], s[1], 1, padding)
	if err != nil {
		return err
	}
	attrs := []onnxpb.Attr{
		onnxpb.AttrInts("kernel_shape", int64(k[0]), int64(k[1])),
		onnxpb.AttrInts("strides", int64(s[0]), int64(s[1])),
		onnxpb.AttrInts("pads", hb, wb, he, we),
	}
	op := "MaxPool"
	if l.Class == "AveragePooling2D" {
		op = "AveragePool"
		attrs = append(attrs, onnxpb.AttrInt("count_include_pad", 0))
	}
	if hb != he || wb != we {
		return fmt.Errorf("%w: asymmetric pooling padding", ErrUnsupported)
	}
	c.emit(l, op, []string{t.name}, []int64{t.shape[0], oh, ow}, attrs...)
	return nil
}

func (c *converter) dense(l Layer) error {
	t, err := c.input(l, 0)
	if err != nil {
		return err
	}
	if len(t.shape) != 1 {
		return fmt.Errorf("%w: Dense on a %d-D input (flatten it first)", ErrUnsupported, len(t.shape)+1)
	}
	in := int(t.shape[0])
	units := int(cfgFloat(l.Config, "units", 0))
	if units < 1 || units > 1<<20 {
		return fmt.Errorf("%w: units %d", ErrSyntax, units)
	}
	kw, err := c.weight(l.Name, "kernel", in, units)
	if err != nil {
		return err
	}
	w := make([]float32, len(kw.Data)) // [units, in] for transB=1
	for i := 0; i < in; i++ {
		for o := 0; o < units; o++ {
			w[o*in+i] = kw.Data[i*units+o]
		}
	}
	bias := make([]float32, units)
	if use, _ := l.Config["use_bias"].(bool); use {
		b, err := c.weight(l.Name, "bias", units)
		if err != nil {
			return err
		}
		copy(bias, b.Data)
	}
	act := cfgString(l.Config, "activation", "linear")
	out := c.tname(l.Name)
	if act != "linear" {
		out = l.Name + "/preact"
	}
	shape := []int64{int64(units)}
	c.node(l.Name, "Gemm", []string{t.name, c.init(l.Name+"/W", []int64{int64(units), int64(in)}, w),
		c.init(l.Name+"/B", []int64{int64(units)}, bias)}, out, shape,
		onnxpb.AttrFloat("alpha", 1), onnxpb.AttrFloat("beta", 1), onnxpb.AttrInt("transB", 1))
	res := tensor{name: out, shape: shape, conv: -1}
	if act != "linear" {
		return c.activation(l, res, l.Name+"/act", c.tname(l.Name), act, false)
	}
	c.ts[l.Name] = res
	return nil
}

func sameShape(a, b []int64) bool {
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

// intListNullable reads a shape whose first entry may be null (-1).
func intListNullable(v any) ([]int, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a list")
	}
	out := make([]int, len(arr))
	for i, x := range arr {
		if x == nil {
			out[i] = -1
			continue
		}
		f, ok := x.(float64)
		if !ok || f != math.Trunc(f) || f < 1 || f > 1<<16 {
			return nil, fmt.Errorf("not a shape")
		}
		out[i] = int(f)
	}
	return out, nil
}
