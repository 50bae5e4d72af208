package train

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/tensor"

	"github.com/activityd/activityd/rnn"
)

func randomBatch(r *rand.Rand, B, T, I, C, outs int) (xs, ws [][]float64) {
	for t := 0; t < T; t++ {
		x := make([]float64, B*I)
		for i := range x {
			x[i] = r.NormFloat64()
		}
		xs = append(xs, x)
	}
	for o := 0; o < outs; o++ {
		w := make([]float64, B*C)
		for b := 0; b < B; b++ {
			w[b*C+r.Intn(C)] = 0.5 + r.Float64()
		}
		ws = append(ws, w)
	}
	return xs, ws
}

// TestGradientCheck compares Gorgonia's back-propagated gradients with
// central finite differences of the loss, for every cell, two layers, and
// both problem shapes, in float64.
func TestGradientCheck(t *testing.T) {
	type shape struct {
		mode rnn.Mode
		head rnn.Head
	}
	for _, cell := range []rnn.Cell{rnn.CellRNN, rnn.CellGRU, rnn.CellLSTM} {
		shapes := []shape{{rnn.ModeManyToMany, ""}, {rnn.ModeManyToOne, rnn.HeadLast}, {rnn.ModeManyToOne, rnn.HeadMean}}
		if raceOn {
			shapes = shapes[:1] // the many-to-one heads are checked without -race
		}
		for _, sh := range shapes {
			t.Run(fmt.Sprintf("%s/%s/%s", cell, sh.mode, sh.head), func(t *testing.T) {
				const B, T, I, H, C = 2, 4, 3, 4, 3
				spec := Spec{Cell: cell, Input: I, Hidden: H, Layers: 2, Classes: C, Mode: sh.mode, Head: sh.head}
				m := rnn.NewRandom(cell, I, H, 2, []string{"a", "b", "c"}, 11)
				// Larger weights than the default make the check sharper.
				for l := range m.Layers {
					for i := range m.Layers[l].Whh {
						m.Layers[l].Whh[i] *= 3
					}
				}
				u, err := build(spec, m, B, T, tensor.Float64)
				if err != nil {
					t.Fatal(err)
				}
				outs := T
				if sh.mode == rnn.ModeManyToOne {
					outs = 1
				}
				xs, ws := randomBatch(rand.New(rand.NewSource(5)), B, T, I, C, outs)
				if err := u.setInputs(xs, ws); err != nil {
					t.Fatal(err)
				}
				worst := checkGrads(t, u, nil)
				t.Logf("worst relative error %.2g", worst)
			})
		}
	}
}

// checkGrads compares u's gradients (inputs already bound) with central
// differences at every coordinate, or at pick(n) of a parameter of n values
// when pick is set, and returns the worst relative error.
func checkGrads(t *testing.T, u *unrolled, pick func(n int) []int) float64 {
	t.Helper()
	if _, err := u.run(); err != nil {
		t.Fatal(err)
	}
	all, err := u.grads()
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for k, p := range u.p.all() {
		grad := all[k]
		data := p.Value().Data().([]float64)
		idx := make([]int, len(data))
		for i := range idx {
			idx[i] = i
		}
		if pick != nil {
			idx = pick(len(data))
		}
		for _, i := range idx {
			const eps = 1e-5
			orig := data[i]
			data[i] = orig + eps
			lp, _ := u.run()
			data[i] = orig - eps
			lm, _ := u.run()
			data[i] = orig
			num := (lp - lm) / (2 * eps)
			rel := math.Abs(num-grad[i]) / math.Max(1e-3, math.Abs(num)+math.Abs(grad[i]))
			worst = math.Max(worst, rel)
			if rel > 1e-5 {
				t.Fatalf("%s[%d]: analytic %.9g, numeric %.9g (rel %.2g)", p.Name(), i, grad[i], num, rel)
			}
		}
	}
	// Drop what the finite differences accumulated.
	_, _ = u.grads()
	return worst
}

// TestGradientCheckWide repeats the check at hidden size 128 (sampled
// coordinates), a size where gorgonia's sliced ops once went wrong.
func TestGradientCheckWide(t *testing.T) {
	cells := []rnn.Cell{rnn.CellLSTM, rnn.CellGRU, rnn.CellRNN}
	if raceOn {
		cells = cells[:1]
	}
	for _, cell := range cells {
		const B, T, I, H, C = 2, 3, 3, 128, 3
		spec := Spec{Cell: cell, Input: I, Hidden: H, Layers: 1, Classes: C, Mode: rnn.ModeManyToMany}
		m := rnn.NewRandom(cell, I, H, 1, []string{"a", "b", "c"}, 12)
		u, err := build(spec, m, B, T, tensor.Float64)
		if err != nil {
			t.Fatal(err)
		}
		xs, ws := randomBatch(rand.New(rand.NewSource(6)), B, T, I, C, T)
		if err := u.setInputs(xs, ws); err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewSource(1))
		worst := checkGrads(t, u, func(n int) []int {
			idx := make([]int, 6)
			for i := range idx {
				idx[i] = r.Intn(n)
			}
			return idx
		})
		t.Logf("%s H=%d: worst relative error %.2g on sampled coordinates", cell, H, worst)
	}
}

// TestGraphMatchesStep checks the pure-Go inference step against the
// Gorgonia forward pass of the same weights (float32 and float64 graphs).
func TestGraphMatchesStep(t *testing.T) {
	// H = 128 and 256 are sizes where gorgonia's column slices went wrong.
	sizes := []struct {
		dt   tensor.Dtype
		I, H int
	}{
		{tensor.Float32, 20, 16}, {tensor.Float32, 8, 128}, {tensor.Float64, 20, 16}, {tensor.Float32, 8, 256},
	}
	if raceOn {
		sizes = sizes[:2]
	}
	for _, sz := range sizes {
		dt, I, H := sz.dt, sz.I, sz.H
		for _, cell := range []rnn.Cell{rnn.CellRNN, rnn.CellGRU, rnn.CellLSTM} {
			const B, T, C = 16, 12, 5
			spec := Spec{Cell: cell, Input: I, Hidden: H, Layers: 2, Classes: C, Mode: rnn.ModeManyToMany}
			m := rnn.NewRandom(cell, I, H, 2, []string{"a", "b", "c", "d", "e"}, 3)
			u, err := build(spec, m, B, T, dt)
			if err != nil {
				t.Fatal(err)
			}
			xs, ws := randomBatch(rand.New(rand.NewSource(8)), B, T, I, C, T)
			if err := u.setInputs(xs, ws); err != nil {
				t.Fatal(err)
			}
			if _, err := u.run(); err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for b := 0; b < B; b++ {
				s := m.NewState()
				x := make([]float32, I)
				probs, want := make([]float32, C), make([]float32, C)
				for step := 0; step < T; step++ {
					for i := range x {
						x[i] = float32(xs[step][b*I+i])
					}
					m.Step(s, x, probs)
					lg := floats(u.vals[step])[b*C : b*C+C]
					l32 := make([]float32, C)
					for i, v := range lg {
						l32[i] = float32(v)
					}
					rnn.Softmax(want, l32)
					for c := range probs {
						worst = math.Max(worst, math.Abs(float64(probs[c]-want[c])))
					}
				}
			}
			if worst > 1e-5 {
				t.Errorf("%s %v I=%d H=%d: step differs from the graph by %.2g", cell, dt, I, H, worst)
			}
			t.Logf("%s %v I=%d H=%d: max |probs difference| %.2g", cell, dt, I, H, worst)
		}
	}
}

func TestClipGlobalNorm(t *testing.T) {
	g := [][]float64{{3, 0}, {0, 4}}
	if n := clipGlobalNorm(g, 1); n != 5 {
		t.Errorf("norm %v, want 5", n)
	}
	if math.Abs(g[0][0]-0.6) > 1e-12 || math.Abs(g[1][1]-0.8) > 1e-12 {
		t.Errorf("clipped %v, want [[0.6 0] [0 0.8]]", g)
	}
	g = [][]float64{{0.1}}
	clipGlobalNorm(g, 1)
	if g[0][0] != 0.1 {
		t.Errorf("a small gradient was changed: %v", g)
	}
}
