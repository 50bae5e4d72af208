package tfjs

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"strings"
)

// tinyModel is a small Keras functional model in the shape nsfwjs ships
// (a JS module around the topology, quantised weights as base64 in a
// second module) that uses every layer kind of MobileNetV2: zero padding,
// strided valid conv, batch norm, ReLU6, same-padded depthwise conv, 1x1
// conv with bias, residual add, pooling, flatten, dense + softmax.
type tinyModel struct {
	modelJS, weightsJS []byte
	w                  map[string][]float64 // dequantised, TF layout
	shape              map[string][]int
}

const tinyH, tinyW, tinyC, tinyF = 9, 9, 3, 4

func newTinyModel(seed int64) *tinyModel {
	rng := rand.New(rand.NewSource(seed))
	tm := &tinyModel{w: map[string][]float64{}, shape: map[string][]int{}}
	layers := []string{
		`{name:"input_1",class_name:"InputLayer",config:{batch_input_shape:[null,9,9,3],dtype:"float32",name:"input_1"},inbound_nodes:[]}`,
		`{name:"pad",class_name:"ZeroPadding2D",config:{padding:[[0,1],[0,1]],data_format:"channels_last"},inbound_nodes:[[["input_1",0,0,{}]]]}`,
		`{name:"c1",class_name:"Conv2D",config:{filters:4,kernel_size:[3,3],strides:[2,2],padding:"valid",activation:"linear",use_bias:!1,dilation_rate:[1,1]},inbound_nodes:[[["pad",0,0,{}]]]}`,
		`{name:"c1_bn",class_name:"BatchNormalization",config:{axis:-1,epsilon:.001,center:!0,scale:!0},inbound_nodes:[[["c1",0,0,{}]]]}`,
		`{name:"c1_relu",class_name:"ReLU",config:{max_value:6,threshold:0,negative_slope:0},inbound_nodes:[[["c1_bn",0,0,{}]]]}`,
		`{name:"dw",class_name:"DepthwiseConv2D",config:{kernel_size:[3,3],strides:[1,1],padding:"same",activation:"linear",use_bias:!1,depth_multiplier:1},inbound_nodes:[[["c1_relu",0,0,{}]]]}`,
		`{name:"dw_bn",class_name:"BatchNormalization",config:{axis:-1,epsilon:.001},inbound_nodes:[[["dw",0,0,{}]]]}`,
		`{name:"dw_relu",class_name:"ReLU",config:{max_value:6},inbound_nodes:[[["dw_bn",0,0,{}]]]}`,
		`{name:"pw",class_name:"Conv2D",config:{filters:4,kernel_size:[1,1],strides:[1,1],padding:"same",activation:"linear",use_bias:!0},inbound_nodes:[[["dw_relu",0,0,{}]]]}`,
		`{name:"add",class_name:"Add",config:{},inbound_nodes:[[["c1_relu",0,0,{}],["pw",0,0,{}]]]}`,
		`{name:"gap",class_name:"GlobalAveragePooling2D",config:{},inbound_nodes:[[["add",0,0,{}]]]}`,
		`{name:"drop",class_name:"Dropout",config:{rate:.5},inbound_nodes:[[["gap",0,0,{}]]]}`,
		`{name:"fc",class_name:"Dense",config:{units:3,activation:"softmax",use_bias:!0},inbound_nodes:[[["drop",0,0,{}]]]}`,
	}
	type spec struct {
		name  string
		shape []int
		quant bool
		lo    float64
		hi    float64
	}
	specs := []spec{
		{"c1/kernel", []int{3, 3, 3, 4}, true, -1, 1},
		{"c1_bn/gamma", []int{4}, true, 0.5, 1.5}, {"c1_bn/beta", []int{4}, false, -0.5, 0.5},
		{"c1_bn/moving_mean", []int{4}, true, -0.2, 0.2}, {"c1_bn/moving_variance", []int{4}, false, 0.5, 2},
		{"dw/depthwise_kernel", []int{3, 3, 4, 1}, true, -1, 1},
		{"dw_bn/gamma", []int{4}, false, 0.5, 1.5}, {"dw_bn/beta", []int{4}, false, -0.5, 0.5},
		{"dw_bn/moving_mean", []int{4}, false, -0.2, 0.2}, {"dw_bn/moving_variance", []int{4}, true, 0.5, 2},
		{"pw/kernel", []int{1, 1, 4, 4}, true, -1, 1}, {"pw/bias", []int{4}, false, -0.1, 0.1},
		{"fc/kernel", []int{4, 3}, true, -2, 2}, {"fc/bias", []int{3}, false, -0.1, 0.1},
	}
	var raw []byte
	var manifest []string
	for _, s := range specs {
		n := 1
		for _, d := range s.shape {
			n *= d
		}
		vals := make([]float64, n)
		shape := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(s.shape)), ","), "[]")
		if s.quant {
			scale := (s.hi - s.lo) / 255
			for i := range vals {
				q := rng.Intn(256)
				raw = append(raw, byte(q))
				vals[i] = float64(float32(float64(q)*scale + s.lo))
			}
			manifest = append(manifest, fmt.Sprintf(`{name:%q,shape:[%s],dtype:"float32",quantization:{min:%v,scale:%v,dtype:"uint8"}}`, s.name, shape, s.lo, scale))
		} else {
			for i := range vals {
				f := float32(s.lo + rng.Float64()*(s.hi-s.lo))
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
				vals[i] = float64(f)
			}
			manifest = append(manifest, fmt.Sprintf(`{name:%q,shape:[%s],dtype:"float32"}`, s.name, shape))
		}
		tm.w[s.name], tm.shape[s.name] = vals, s.shape
	}
	wrap := func(body string) []byte {
		return []byte(`!function(e){if("object"==typeof exports&&"undefined"!=typeof module)module.exports=e();else{this.m=e()}}(function(){return function(){}({1:[function(e,a,n){a.exports=` + body + `},{}]},{},[1])(1)});`)
	}
	tm.modelJS = wrap(`{modelTopology:{keras_version:"2.2.4",backend:"tensorflow",model_config:{class_name:"Model",config:{name:"tiny",layers:[` +
		strings.Join(layers, ",") + `],input_layers:[["input_1",0,0]],output_layers:[["fc",0,0]]}}},weightsManifest:[{paths:["group1-shard1of1"],weights:[` +
		strings.Join(manifest, ",") + `]}]}`)
	tm.weightsJS = wrap(`"` + base64.StdEncoding.EncodeToString(raw) + `"`)
	return tm
}

// forward runs the tiny model in float64 on an NHWC image, as Keras does.
func (tm *tinyModel) forward(img []float64) (pooled, probs []float64) {
	type fmap struct {
		h, w, c int
		v       []float64
	}
	at := func(m fmap, y, x, c int) float64 {
		if y < 0 || x < 0 || y >= m.h || x >= m.w {
			return 0
		}
		return m.v[(y*m.w+x)*m.c+c]
	}
	conv := func(in fmap, k []float64, kh, kw, outC, stride, pad int, depthwise bool) fmap {
		oh, ow := (in.h+2*pad-kh)/stride+1, (in.w+2*pad-kw)/stride+1
		out := fmap{oh, ow, outC, make([]float64, oh*ow*outC)}
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x++ {
				for o := 0; o < outC; o++ {
					var s float64
					for dy := 0; dy < kh; dy++ {
						for dx := 0; dx < kw; dx++ {
							iy, ix := y*stride+dy-pad, x*stride+dx-pad
							if depthwise {
								s += at(in, iy, ix, o) * k[(dy*kw+dx)*in.c+o]
								continue
							}
							for c := 0; c < in.c; c++ {
								s += at(in, iy, ix, c) * k[((dy*kw+dx)*in.c+c)*outC+o]
							}
						}
					}
					out.v[(y*ow+x)*outC+o] = s
				}
			}
		}
		return out
	}
	bnRelu6 := func(m fmap, name string, relu bool) fmap {
		g, b, mu, v := tm.w[name+"/gamma"], tm.w[name+"/beta"], tm.w[name+"/moving_mean"], tm.w[name+"/moving_variance"]
		for i := range m.v {
			c := i % m.c
			x := (m.v[i]-mu[c])/math.Sqrt(v[c]+0.001)*g[c] + b[c]
			if relu {
				x = math.Min(math.Max(x, 0), 6)
			}
			m.v[i] = x
		}
		return m
	}
	// Zero padding bottom/right then a valid strided conv.
	padded := fmap{tinyH + 1, tinyW + 1, tinyC, make([]float64, (tinyH+1)*(tinyW+1)*tinyC)}
	for y := 0; y < tinyH; y++ {
		for x := 0; x < tinyW; x++ {
			for c := 0; c < tinyC; c++ {
				padded.v[(y*padded.w+x)*tinyC+c] = img[(y*tinyW+x)*tinyC+c]
			}
		}
	}
	a := bnRelu6(conv(padded, tm.w["c1/kernel"], 3, 3, tinyF, 2, 0, false), "c1_bn", true)
	d := bnRelu6(conv(a, tm.w["dw/depthwise_kernel"], 3, 3, tinyF, 1, 1, true), "dw_bn", true)
	p := conv(d, tm.w["pw/kernel"], 1, 1, tinyF, 1, 0, false)
	pooled = make([]float64, tinyF)
	for i := range p.v {
		c := i % tinyF
		pooled[c] += (a.v[i] + p.v[i] + tm.w["pw/bias"][c]) / float64(a.h*a.w)
	}
	logits := make([]float64, 3)
	for o := range logits {
		logits[o] = tm.w["fc/bias"][o]
		for i, x := range pooled {
			logits[o] += x * tm.w["fc/kernel"][i*3+o]
		}
	}
	var sum float64
	probs = make([]float64, 3)
	for i, l := range logits {
		probs[i] = math.Exp(l)
		sum += probs[i]
	}
	for i := range probs {
		probs[i] /= sum
	}
	return pooled, probs
}
