package rnn

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func TestDotMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for n := 0; n < 300; n++ {
		a, b := make([]float32, n), make([]float32, n+5)
		var want float64
		for i := range a {
			a[i], b[i] = r.Float32()*2-1, r.Float32()*2-1
			want += float64(a[i]) * float64(b[i])
		}
		if got := dot(a, b); math.Abs(float64(got)-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("n=%d: dot %v, want %v", n, got, want)
		}
		if got := dotGeneric(a, b); math.Abs(float64(got)-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("n=%d: dotGeneric %v, want %v", n, got, want)
		}
	}
}

// refStep is a float64 transcription of PyTorch's equations, written
// independently of Step, to check it.
func refStep(m *Model, h, c [][]float64, x []float32) []float64 {
	H := m.HiddenSize
	in := make([]float64, len(x))
	for i, v := range x {
		in[i] = float64(v)
		if m.Mean != nil {
			in[i] = (in[i] - float64(m.Mean[i])) / float64(m.Std[i])
		}
	}
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	mv := func(W []float32, v []float64, b []float32, rows int) []float64 {
		out := make([]float64, rows)
		for i := range out {
			acc := float64(b[i])
			for k, x := range v {
				acc += float64(W[i*len(v)+k]) * x
			}
			out[i] = acc
		}
		return out
	}
	for l, L := range m.Layers {
		G := m.Cell.Gates()
		gi, gh := mv(L.Wih, in, L.Bih, G*H), mv(L.Whh, h[l], L.Bhh, G*H)
		nh := make([]float64, H)
		for j := 0; j < H; j++ {
			switch m.Cell {
			case CellRNN:
				nh[j] = math.Tanh(gi[j] + gh[j])
			case CellGRU:
				r, z := sig(gi[j]+gh[j]), sig(gi[H+j]+gh[H+j])
				n := math.Tanh(gi[2*H+j] + r*gh[2*H+j])
				nh[j] = (1-z)*n + z*h[l][j]
			case CellLSTM:
				i, f := sig(gi[j]+gh[j]), sig(gi[H+j]+gh[H+j])
				g, o := math.Tanh(gi[2*H+j]+gh[2*H+j]), sig(gi[3*H+j]+gh[3*H+j])
				c[l][j] = f*c[l][j] + i*g
				nh[j] = o * math.Tanh(c[l][j])
			}
		}
		h[l] = nh
		in = nh
	}
	return mv(m.HeadW, in, m.HeadB, m.Classes())
}

func TestStepMatchesReference(t *testing.T) {
	for _, cell := range []Cell{CellRNN, CellGRU, CellLSTM} {
		for _, layers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s-%d", cell, layers), func(t *testing.T) {
				m := NewRandom(cell, 37, 19, layers, []string{"a", "b", "c", "d"}, 5)
				m.Mean, m.Std = make([]float32, 37), make([]float32, 37)
				for i := range m.Std {
					m.Mean[i], m.Std[i] = 0.1*float32(i%3), 0.5+float32(i%4)
				}
				r := rand.New(rand.NewSource(9))
				s := m.NewState()
				h, c := make([][]float64, layers), make([][]float64, layers)
				for l := range h {
					h[l], c[l] = make([]float64, 19), make([]float64, 19)
				}
				x := make([]float32, 37)
				probs := make([]float32, 4)
				for step := 0; step < 30; step++ {
					for i := range x {
						x[i] = r.Float32()*4 - 2
					}
					m.Step(s, x, probs)
					want := refStep(m, h, c, x)
					wp := make([]float32, len(want))
					w32 := make([]float32, len(want))
					for i, v := range want {
						w32[i] = float32(v)
					}
					Softmax(wp, w32)
					for i := range probs {
						if d := math.Abs(float64(probs[i] - wp[i])); d > 1e-6 {
							t.Fatalf("step %d class %d: %v, want %v", step, i, probs[i], wp[i])
						}
					}
				}
			})
		}
	}
}

func TestStepDoesNotAllocate(t *testing.T) {
	for _, cell := range []Cell{CellRNN, CellGRU, CellLSTM} {
		m := NewRandom(cell, 64, 32, 2, []string{"a", "b"}, 1)
		s, x, p := m.NewState(), make([]float32, 64), make([]float32, 2)
		if n := testing.AllocsPerRun(100, func() { m.Step(s, x, p) }); n != 0 {
			t.Errorf("%s: %v allocations per step", cell, n)
		}
	}
}

func benchStep(b *testing.B, cell Cell, hidden int) {
	const in = 1280
	m := NewRandom(cell, in, hidden, 1, []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, 1)
	s, x, p := m.NewState(), make([]float32, in), make([]float32, 10)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Step(s, x, p)
	}
}

func BenchmarkStepGRU128(b *testing.B)  { benchStep(b, CellGRU, 128) }
func BenchmarkStepGRU256(b *testing.B)  { benchStep(b, CellGRU, 256) }
func BenchmarkStepLSTM128(b *testing.B) { benchStep(b, CellLSTM, 128) }
func BenchmarkStepLSTM256(b *testing.B) { benchStep(b, CellLSTM, 256) }
func BenchmarkStepRNN256(b *testing.B)  { benchStep(b, CellRNN, 256) }
