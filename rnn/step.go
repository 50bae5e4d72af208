package rnn

import "math"

// State is one stream's hidden state. It belongs to that stream's goroutine:
// the model's weights are shared, the state is not.
type State struct {
	cell   Cell
	hidden int
	h, c   [][]float32 // per layer; c only for LSTM
	x      []float32   // standardised input
	gi, gh []float32   // gate pre-activations from input and hidden
	logits []float32
}

// NewState returns a zero hidden state sized for m.
func (m *Model) NewState() *State {
	H, G := m.HiddenSize, m.Cell.Gates()
	s := &State{
		cell:   m.Cell,
		hidden: H,
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

// Reset zeroes the hidden state, as at the start of a stream or after a
// discontinuity.
func (s *State) Reset() {
	for _, h := range s.h {
		clear(h)
	}
	for _, c := range s.c {
		clear(c)
	}
}

// Hidden returns the top layer's hidden state. The slice is the state's
// own: read it before the next step.
func (s *State) Hidden() []float32 { return s.h[len(s.h)-1] }

// Logits returns the head's output of the last step. The slice is the
// state's own: read it before the next step.
func (s *State) Logits() []float32 { return s.logits }

// Step advances s by one input vector x (len InputSize) and writes the
// softmax of the head's output into probs (len Classes). It does not
// allocate.
func (m *Model) Step(s *State, x []float32, probs []float32) {
	m.StepLogits(s, x)
	Softmax(probs, s.logits)
}

// StepLogits advances s by one input vector x and returns the head's
// logits (the state's own slice). It does not allocate.
func (m *Model) StepLogits(s *State, x []float32) []float32 {
	in := m.standardise(s.x, x)
	matVec(s.gi, m.Layers[0].Wih, in, m.Layers[0].Bih)
	return m.stepProjected(s, s.gi)
}

// standardise writes the standardised x into buf when the model has a norm
// and returns the vector to feed the first layer.
func (m *Model) standardise(buf, x []float32) []float32 {
	if m.Mean == nil {
		return x[:m.InputSize]
	}
	for i := range buf {
		buf[i] = (x[i] - m.Mean[i]) / m.Std[i]
	}
	return buf
}

// stepProjected advances s given the first layer's input projection gi0
// (W_ih x + b_ih), which several states fed the same input may share.
func (m *Model) stepProjected(s *State, gi0 []float32) []float32 {
	for l := range m.Layers {
		L := &m.Layers[l]
		gi := gi0
		if l > 0 {
			gi = s.gi
			matVec(gi, L.Wih, s.h[l-1], L.Bih)
		}
		m.cellUpdate(L, s, l, gi)
	}
	matVec(s.logits, m.HeadW, s.h[len(s.h)-1], m.HeadB)
	return s.logits
}

// cellUpdate applies layer l's recurrence given its input projection gi.
func (m *Model) cellUpdate(L *Layer, s *State, l int, gi []float32) {
	H := m.HiddenSize
	h, gh := s.h[l], s.gh
	matVec(gh, L.Whh, h, L.Bhh)
	switch m.Cell {
	case CellGRU:
		// PyTorch gate order r, z, n.
		for j := 0; j < H; j++ {
			r := sigmoid(gi[j] + gh[j])
			z := sigmoid(gi[H+j] + gh[H+j])
			n := tanh(gi[2*H+j] + r*gh[2*H+j])
			h[j] = (1-z)*n + z*h[j]
		}
	case CellLSTM:
		// PyTorch gate order i, f, g, o.
		c := s.c[l]
		for j := 0; j < H; j++ {
			i := sigmoid(gi[j] + gh[j])
			f := sigmoid(gi[H+j] + gh[H+j])
			g := tanh(gi[2*H+j] + gh[2*H+j])
			o := sigmoid(gi[3*H+j] + gh[3*H+j])
			c[j] = f*c[j] + i*g
			h[j] = o * tanh(c[j])
		}
	default:
		for j := 0; j < H; j++ {
			h[j] = tanh(gi[j] + gh[j])
		}
	}
}

// matVec sets dst = W v + b for W row-major [len(dst), len(v)].
func matVec(dst, W, v, b []float32) {
	n := len(v)
	_ = W[len(dst)*n-1]
	for i := range dst {
		dst[i] = dot(W[i*n:i*n+n], v) + b[i]
	}
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
func tanh(x float32) float32    { return float32(math.Tanh(float64(x))) }

// Softmax writes the softmax of logits into dst, stably.
func Softmax(dst, logits []float32) {
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
