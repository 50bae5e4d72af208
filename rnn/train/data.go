package train

import (
	"math"
	"math/rand"
)

// Ignore marks a step whose label does not count (many-to-many).
const Ignore = -1

// Example is one training unit: a window of T feature vectors and its
// labels. Many-to-many examples label every step (Ignore to skip one);
// many-to-one examples have one Label.
type Example struct {
	X      [][]float32
	Labels []int // per step, many-to-many
	Label  int   // many-to-one
	Clip   int   // index of the clip it came from (for reports)
}

// Windows cuts a clip's features into many-to-one examples of win frames
// every stride frames. A clip shorter than win gives one example padded at
// the start with its first frame.
func Windows(x [][]float32, label, clip, win, stride int) []Example {
	if len(x) == 0 {
		return nil
	}
	if len(x) < win {
		p := make([][]float32, 0, win)
		for len(p) < win-len(x) {
			p = append(p, x[0])
		}
		return []Example{{X: append(p, x...), Label: label, Clip: clip}}
	}
	var out []Example
	for s := 0; s+win <= len(x); s += stride {
		out = append(out, Example{X: x[s : s+win], Label: label, Clip: clip})
	}
	return out
}

// Chunks cuts a long labelled sequence into many-to-many examples of t
// steps for truncated back-propagation through time. Chunks start every
// t/2 steps; in every chunk but the first, the steps the previous chunk
// already scored are context only (Ignore), so each step is scored once and
// with at least t/2 steps of history behind it, as the daemon's running
// state has. The tail shorter than t is padded with ignored steps.
func Chunks(x [][]float32, labels []int, clip, t int) []Example {
	var out []Example
	step := max(t/2, 1)
	for s := 0; s < len(x); s += step {
		e := Example{Clip: clip}
		for i := s; i < s+t; i++ {
			switch {
			case i >= len(x):
				e.X, e.Labels = append(e.X, x[len(x)-1]), append(e.Labels, Ignore)
			case s > 0 && i < s-step+t:
				e.X, e.Labels = append(e.X, x[i]), append(e.Labels, Ignore)
			default:
				e.X, e.Labels = append(e.X, x[i]), append(e.Labels, labels[i])
			}
		}
		out = append(out, e)
		if s+t >= len(x) {
			break
		}
	}
	return out
}

// Standardisation returns the per-feature mean and standard deviation of
// every step of examples. Each std is floored at a tenth of the mean std
// (and at 1e-6), so that near-constant features (a static background's
// compression noise) are not blown up into large inputs.
func Standardisation(examples []Example, dim int) (mean, std []float32) {
	sum, sq := make([]float64, dim), make([]float64, dim)
	n := 0
	for _, e := range examples {
		for _, x := range e.X {
			for i, v := range x[:dim] {
				sum[i] += float64(v)
				sq[i] += float64(v) * float64(v)
			}
			n++
		}
	}
	mean, std = make([]float32, dim), make([]float32, dim)
	sd := make([]float64, dim)
	var avg float64
	for i := range mean {
		m := sum[i] / float64(max(n, 1))
		sd[i] = math.Sqrt(math.Max(sq[i]/float64(max(n, 1))-m*m, 0))
		mean[i] = float32(m)
		avg += sd[i] / float64(dim)
	}
	for i := range std {
		std[i] = float32(math.Max(sd[i], math.Max(avg/10, 1e-6)))
	}
	return mean, std
}

// SplitByClip puts a fraction val of the clips (at least one) in the
// validation set, chosen with seed.
func SplitByClip(n int, val float64, seed int64) (train, valid []int) {
	idx := rand.New(rand.NewSource(seed)).Perm(n)
	k := int(math.Round(float64(n) * val))
	if k < 1 && n > 1 && val > 0 {
		k = 1
	}
	return idx[k:], idx[:k]
}
