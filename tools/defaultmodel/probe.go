package main

import (
	"fmt"
	"math"
	"os"

	"github.com/activityd/activityd/rnn/train"
)

// probe measures how much the features of a clip tell about its class
// without any recurrent model: softmax regressions on the clip's mean
// features (a bag of frames), on the change of the mean from its first half
// to its second, and on both; and how far consecutive frames lie apart
// against frames of different clips.
func probe(s *sets) {
	st := newStandardiser(s.clipsTrain.Items, s.dim)
	feat := func(x [][]float32, kind int) []float64 {
		h := len(x) / 2
		a, b := st.average(x[:h]), st.average(x[h:])
		switch kind {
		case 0:
			return st.average(x)
		case 1:
			for i := range a {
				b[i] -= a[i]
			}
			return b
		default:
			out := append([]float64(nil), st.average(x)...)
			for i := range a {
				out = append(out, b[i]-a[i])
			}
			return out
		}
	}
	var within, between float64
	var nw, nb int
	for k, it := range s.clipsTrain.Items {
		for t := 1; t < len(it.X); t++ {
			within += dist(st, it.X[t], it.X[t-1])
			nw++
		}
		o := s.clipsTrain.Items[(k+7)%len(s.clipsTrain.Items)]
		between += dist(st, it.X[0], o.X[0])
		nb++
	}
	fmt.Fprintf(os.Stderr, "mean standardised distance: consecutive frames %.2f, frames of different clips %.2f\n", within/float64(nw), between/float64(nb))
	for kind, name := range []string{"mean", "diff", "mean+diff"} {
		var xs [][]float64
		var ys []int
		for _, it := range s.clipsTrain.Items {
			xs, ys = append(xs, feat(it.X, kind)), append(ys, it.Label)
		}
		lin := train.FitLinear(xs, ys, len(s.labels), 300, 0.5)
		var tx [][]float64
		var ty []int
		for _, it := range s.clipsTest.Items {
			tx, ty = append(tx, feat(it.X, kind)), append(ty, it.Label)
		}
		fmt.Fprintf(os.Stderr, "probe %s: train %.3f test %.3f\n", name, lin.Accuracy(xs, ys), lin.Accuracy(tx, ty))
		rec := make([]int, len(s.labels))
		for k, x := range tx {
			if predict(lin, x) == ty[k] {
				rec[ty[k]]++
			}
		}
		fmt.Fprintln(os.Stderr, s.labels, rec)
	}
}

func dist(st standardiser, a, b []float32) float64 {
	var d float64
	for i := range a {
		v := (float64(a[i]) - float64(b[i])) / st.std[i]
		d += v * v
	}
	return math.Sqrt(d)
}
