package train

import "math"

// Linear is a softmax regression: the bag-of-features baseline that sees
// only a vector per example.
type Linear struct {
	W [][]float64 // [C][D+1], last column the bias
}

// FitLinear trains a softmax regression on xs with full-batch gradient
// descent.
func FitLinear(xs [][]float64, ys []int, classes, epochs int, lr float64) *Linear {
	D := len(xs[0])
	l := &Linear{W: make([][]float64, classes)}
	for c := range l.W {
		l.W[c] = make([]float64, D+1)
	}
	grad := make([][]float64, classes)
	for c := range grad {
		grad[c] = make([]float64, D+1)
	}
	p := make([]float64, classes)
	for range epochs {
		for c := range grad {
			clear(grad[c])
		}
		for k, x := range xs {
			l.probs(x, p)
			for c := range p {
				d := p[c]
				if c == ys[k] {
					d--
				}
				for i, v := range x {
					grad[c][i] += d * v
				}
				grad[c][D] += d
			}
		}
		for c := range l.W {
			for i := range l.W[c] {
				l.W[c][i] -= lr * grad[c][i] / float64(len(xs))
			}
		}
	}
	return l
}

func (l *Linear) probs(x []float64, p []float64) {
	max := math.Inf(-1)
	for c, w := range l.W {
		s := w[len(x)]
		for i, v := range x {
			s += w[i] * v
		}
		p[c] = s
		max = math.Max(max, s)
	}
	var sum float64
	for c := range p {
		p[c] = math.Exp(p[c] - max)
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
}

// Accuracy is the fraction of xs classified as ys.
func (l *Linear) Accuracy(xs [][]float64, ys []int) float64 {
	p := make([]float64, len(l.W))
	right := 0
	for k, x := range xs {
		l.probs(x, p)
		best := 0
		for c := range p {
			if p[c] > p[best] {
				best = c
			}
		}
		if best == ys[k] {
			right++
		}
	}
	return float64(right) / float64(len(xs))
}
