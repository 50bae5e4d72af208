package main

import (
	"math"
	"math/rand"
	"testing"

	"github.com/activityd/activityd/rnn"
	"github.com/activityd/activityd/rnn/dataset"
)

// motionData makes items whose features drift along a class-specific
// direction, plus noise.
func motionData(rng *rand.Rand, n, steps, dim, classes int) []dataset.Item {
	dirs := make([][]float32, classes)
	for c := range dirs {
		dirs[c] = make([]float32, dim)
		for i := range dirs[c] {
			dirs[c][i] = float32(rng.NormFloat64())
		}
	}
	var items []dataset.Item
	for k := 0; k < n; k++ {
		c := k % classes
		f := &dataset.Features{}
		base := make([]float32, dim)
		for i := range base {
			base[i] = float32(rng.NormFloat64() * 3)
		}
		for t := 0; t < steps; t++ {
			x := make([]float32, dim)
			for i := range x {
				x[i] = base[i] + 0.3*float32(t)*dirs[c][i] + float32(rng.NormFloat64()*0.2)
			}
			f.X = append(f.X, x)
			f.Times = append(f.Times, float64(t)/5)
		}
		items = append(items, dataset.Item{Label: c, Features: f})
	}
	return items
}

// TestMotionLayerComputesChanges checks the built layer in the pure-Go step
// the daemon runs: A_k holds the current projection, B_k its change.
func TestMotionLayerComputesChanges(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const dim, K, classes = 12, 5, 3
	items := motionData(rng, 30, 15, dim, classes)
	mean, std := rawStandardisation(items, dim)
	L := motionLayer(items, mean, std, K, classes, 1, 0, spinSpec{})
	H := 2 * K
	m := &rnn.Model{Cell: rnn.CellGRU, InputSize: dim, HiddenSize: H, Layers: []rnn.Layer{L},
		HeadW: make([]float32, classes*H), HeadB: make([]float32, classes), Labels: []string{"a", "b", "c"}, Mean: mean, Std: std}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	s := m.NewState()
	probs := make([]float32, classes)
	prevA := make([]float64, K)
	for step, x := range items[0].X {
		m.Step(s, x, probs)
		h := s.Hidden()
		for k := 0; k < K; k++ {
			var p float64 // the A_k pre-activation: e_k u_k . z
			for i := 0; i < dim; i++ {
				p += float64(L.Wih[(2*H+k)*dim+i]) * float64((x[i]-mean[i])/std[i])
			}
			wantA, wantB := math.Tanh(p), math.Tanh(p-prevA[k])
			if math.Abs(float64(h[k])-wantA) > 1e-4 || math.Abs(float64(h[K+k])-wantB) > 1e-4 {
				t.Fatalf("step %d unit %d: A %v B %v, want %v %v", step, k, h[k], h[K+k], wantA, wantB)
			}
			prevA[k] = wantA
		}
	}
}

// TestComposeMatchesTwoStages checks that the composed model on raw
// features gives what the top model gives on the motion layer's outputs,
// also after a trip through the model file format.
func TestComposeMatchesTwoStages(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	const dim, K, classes = 10, 4, 3
	items := motionData(rng, 12, 20, dim, classes)
	mean, std := rawStandardisation(items, dim)
	labels := []string{"a", "b", "c"}
	for _, tc := range []struct {
		seeA  bool
		trend float64
	}{{false, 0}, {true, 0}, {false, 3}, {true, 3}} {
		seeA := tc.seeA
		L := motionLayer(items, mean, std, K, classes, 2, tc.trend, spinSpec{})
		H := len(L.Bih) / 3
		top := rnn.NewRandom(rnn.CellGRU, H, H, 1, labels, 3)
		top.Mean, top.Std = make([]float32, H), make([]float32, H)
		for i := range top.Mean {
			top.Mean[i], top.Std[i] = float32(rng.NormFloat64()*0.1), float32(0.5+rng.Float64())
		}
		top.Mode = rnn.ModeManyToMany
		composed := compose(L, mean, std, top, seeA)
		b, err := composed.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		loaded, err := rnn.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		ys := motionOutputs(items[:3], L, mean, std, labels, seeA)
		for k := range ys {
			want := top.Sequence(ys[k].X)
			got := loaded.Sequence(items[k].X)
			for s := range want {
				for c := range want[s] {
					if math.Abs(float64(want[s][c]-got[s][c])) > 1e-4 {
						t.Fatalf("see projections %v, trend %v: item %d step %d class %d: composed %v, two stages %v", seeA, tc.trend, k, s, c, got[s][c], want[s][c])
					}
				}
			}
		}
	}
}

// TestMotionTrendUnits checks the trend units in the pure-Go step: C_k is
// a leaky average of A_k keeping exp(-1/trend) of itself each frame, and
// D_k is the projection against C_k(t-1).
func TestMotionTrendUnits(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	const dim, K, classes, trend = 12, 5, 3, 4.0
	items := motionData(rng, 30, 25, dim, classes)
	mean, std := rawStandardisation(items, dim)
	L := motionLayer(items, mean, std, K, classes, 1, trend, spinSpec{})
	H := 4 * K
	if len(L.Bih) != 3*H {
		t.Fatalf("%d units, want %d", len(L.Bih)/3, H)
	}
	m := &rnn.Model{Cell: rnn.CellGRU, InputSize: dim, HiddenSize: H, Layers: []rnn.Layer{L},
		HeadW: make([]float32, classes*H), HeadB: make([]float32, classes), Labels: []string{"a", "b", "c"}, Mean: mean, Std: std}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	keep := math.Exp(-1 / trend)
	s := m.NewState()
	probs := make([]float32, classes)
	prevA, prevC := make([]float64, K), make([]float64, K)
	for step, x := range items[1].X {
		m.Step(s, x, probs)
		h := s.Hidden()
		for k := 0; k < K; k++ {
			var p float64
			for i := 0; i < dim; i++ {
				p += float64(L.Wih[(2*H+k)*dim+i]) * float64((x[i]-mean[i])/std[i])
			}
			wantA := math.Tanh(p)
			wantC := keep*prevC[k] + (1-keep)*wantA
			wantB, wantD := math.Tanh(p-prevA[k]), math.Tanh(p-prevC[k])
			got := []float32{h[k], h[K+k], h[2*K+k], h[3*K+k]}
			for g, want := range []float64{wantA, wantC, wantB, wantD} {
				if math.Abs(float64(got[g])-want) > 1e-4 {
					t.Fatalf("step %d direction %d: unit group %d (A, C, B, D) is %v, want %v", step, k, g, got[g], want)
				}
			}
			prevA[k], prevC[k] = wantA, wantC
		}
	}
}

// TestSpinDirections checks that the spin directions span the plane in
// which the features of turning items turn, and not a plane of mere
// back-and-forth or noise.
func TestSpinDirections(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	const dim, cw, ccw = 10, 1, 2
	var items []dataset.Item
	for k := 0; k < 40; k++ {
		label := k % 3 // 0: oscillates along axes 2-3; 1, 2: turns in the plane of axes 0-1
		phase, speed := rng.Float64()*2*math.Pi, 0.3+0.4*rng.Float64()
		if label == ccw {
			speed = -speed
		}
		f := &dataset.Features{}
		for s := 0; s < 20; s++ {
			x := make([]float32, dim)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * 0.3)
			}
			a := phase + speed*float64(s)
			if label == 0 {
				x[2] += float32(2 * math.Sin(a))
				x[3] += float32(2 * math.Sin(a))
			} else {
				x[0] += float32(2 * math.Cos(a))
				x[1] += float32(2 * math.Sin(a))
			}
			f.X = append(f.X, x)
		}
		items = append(items, dataset.Item{Label: label, Features: f})
	}
	z := func(x []float32) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out
	}
	U := spinDirections(items, z, spinSpec{planes: 1, cw: cw, ccw: ccw}, dim, 1)
	if len(U) != 2 {
		t.Fatalf("%d directions, want 2", len(U))
	}
	for k, u := range U {
		if in := u[0]*u[0] + u[1]*u[1]; in < 0.95 {
			t.Errorf("direction %d has %.2f of its weight in the turning plane, want > 0.95: %.2f", k, in, u)
		}
	}
}
