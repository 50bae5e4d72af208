package rnn

// Sequence runs m from a zero state over xs and returns the class
// distribution after every step (the head on that step's top-layer output).
func (m *Model) Sequence(xs [][]float32) [][]float32 {
	s := m.NewState()
	out := make([][]float32, len(xs))
	for t, x := range xs {
		out[t] = make([]float32, m.Classes())
		m.Step(s, x, out[t])
	}
	return out
}

// Windows runs a many-to-one model over a clip with its window and stride
// and returns one distribution per window. A clip shorter than the window
// gives one window, padded at the start with its first frame (as training
// pads it).
func (m *Model) Windows(xs [][]float32) [][]float32 {
	if len(xs) == 0 {
		return nil
	}
	win, stride := m.Window, m.Stride
	if win < 1 {
		win, stride = len(xs), len(xs)
	}
	if len(xs) < win {
		p := make([][]float32, 0, win)
		for len(p) < win-len(xs) {
			p = append(p, xs[0])
		}
		xs = append(p, xs...)
	}
	var out [][]float32
	for start := 0; start == 0 || start+win <= len(xs); start += stride {
		out = append(out, m.windowProbs(xs[start:start+win]))
	}
	return out
}

// windowProbs is the many-to-one head over one window from a zero state.
func (m *Model) windowProbs(xs [][]float32) []float32 {
	s := m.NewState()
	acc := make([]float32, m.Classes())
	for _, x := range xs {
		logits := m.StepLogits(s, x)
		if m.Head == HeadMean {
			for j, v := range logits {
				acc[j] += v / float32(len(xs))
			}
		} else {
			copy(acc, logits)
		}
	}
	probs := make([]float32, m.Classes())
	Softmax(probs, acc)
	return probs
}

// ClipProbs is the model's distribution for a whole clip: the mean of its
// window distributions (many-to-one) or of its per-step distributions
// (many-to-many).
func (m *Model) ClipProbs(xs [][]float32) []float32 {
	var parts [][]float32
	if m.IsManyToOne() {
		parts = m.Windows(xs)
	} else {
		parts = m.Sequence(xs)
	}
	mean := make([]float32, m.Classes())
	for _, p := range parts {
		for j, v := range p {
			mean[j] += v / float32(len(parts))
		}
	}
	return mean
}

// Argmax returns the index of the largest value.
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
