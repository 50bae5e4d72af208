package rnn

import "math"

// State is one stream's hidden state. It belongs to that stream's goroutine.
type State struct {
	h, c   [][]float32 // per layer; c only for LSTM
	x      []float32   // standardised input
	gi, gh []float32   // gate pre-activations from input and hidden
	logits []float32
}

// NewState returns a zero hidden state sized for m.
func (m *Model) NewState() *State {
	H, G := m.HiddenSize, m.Cell.Gates()
	s := &State{
		x:      make([]float32, m.InputSize),
		gi:     make([]float32, G*H),
		gh:     make([]float32, G*H),
		logits: make([]float32, m.Classes()),
	}
	for range m.Layers {
		s.h = append(s.h, make([]float32, H))
		if m.Cell == CellLSTM {
			s.c = append(s.c, make([]float32, H))
		}
	}
	return s
}

// Reset zeroes the hidden state, as at the start of a stream.
func (s *State) Reset() {
	for _, h := range s.h {
		clear(h)
	}
	for _, c := range s.c {
		clear(c)
	}
}

// Step advances s by one input vector x (len InputSize) and writes the
// softmax of the head's output into probs (len Classes). It does not
// allocate.
func (m *Model) Step(s *State, x []float32, probs []float32) {
	in := x
	if m.Mean != nil {
		for i := range x {
			s.x[i] = (x[i] - m.Mean[i]) / m.Std[i]
		}
		in = s.x
	}
	for l := range m.Layers {
		m.stepLayer(&m.Layers[l], s, l, in)
		in = s.h[l]
	}
	matVec(s.logits, m.HeadW, in, m.HeadB)
	softmax(probs, s.logits)
}

func (m *Model) stepLayer(L *Layer, s *State, l int, x []float32) {
	H := m.HiddenSize
	h := s.h[l]
	matVec(s.gi, L.Wih, x, L.Bih)
	matVec(s.gh, L.Whh, h, L.Bhh)
	switch m.Cell {
	case CellGRU:
		// PyTorch gate order r, z, n.
		for j := 0; j < H; j++ {
			r := sigmoid(s.gi[j] + s.gh[j])
			z := sigmoid(s.gi[H+j] + s.gh[H+j])
			n := tanh(s.gi[2*H+j] + r*s.gh[2*H+j])
			h[j] = (1-z)*n + z*h[j]
		}
	case CellLSTM:
		// PyTorch gate order i, f, g, o.
		c := s.c[l]
		for j := 0; j < H; j++ {
			i := sigmoid(s.gi[j] + s.gh[j])
			f := sigmoid(s.gi[H+j] + s.gh[H+j])
			g := tanh(s.gi[2*H+j] + s.gh[2*H+j])
			o := sigmoid(s.gi[3*H+j] + s.gh[3*H+j])
			c[j] = f*c[j] + i*g
			h[j] = o * tanh(c[j])
		}
	default:
		for j := 0; j < H; j++ {
			h[j] = tanh(s.gi[j] + s.gh[j])
		}
	}
}

// matVec sets dst = W v + b for W row-major [len(dst), len(v)].
func matVec(dst, W, v, b []float32) {
	n := len(v)
	for i := range dst {
		row := W[i*n : i*n+n]
		var acc float32
		for k, x := range v {
			acc += row[k] * x
		}
		dst[i] = acc + b[i]
	}
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
func tanh(x float32) float32    { return float32(math.Tanh(float64(x))) }

// softmax writes the softmax of logits into dst, stably.
func softmax(dst, logits []float32) {
	max := logits[0]
	for _, v := range logits[1:] {
		if v > max {
			max = v
		}
	}
	var sum float64
	for i, v := range logits {
		e := math.Exp(float64(v - max))
		dst[i] = float32(e)
		sum += e
	}
	for i := range dst {
		dst[i] = float32(float64(dst[i]) / sum)
	}
}
