package rnn

import (
	"errors"
	"math/rand"
	"testing"
)

func TestSnapshotRestore(t *testing.T) {
	for _, cell := range []Cell{CellRNN, CellGRU, CellLSTM} {
		m := NewRandom(cell, 8, 6, 2, []string{"a", "b"}, 2)
		r := rand.New(rand.NewSource(1))
		x := make([]float32, 8)
		feed := func(s *State, p []float32) {
			for i := range x {
				x[i] = r.Float32()
			}
			m.Step(s, x, p)
		}
		s := m.NewState()
		p1, p2 := make([]float32, 2), make([]float32, 2)
		for range 5 {
			feed(s, p1)
		}
		snap, _ := s.MarshalBinary()
		for i := range x {
			x[i] = r.Float32()
		}
		m.Step(s, x, p1)
		restored := m.NewState()
		if err := restored.UnmarshalBinary(snap); err != nil {
			t.Fatal(err)
		}
		m.Step(restored, x, p2)
		if p1[0] != p2[0] || p1[1] != p2[1] {
			t.Errorf("%s: restored state gives %v, original %v", cell, p2, p1)
		}
		other := NewRandom(cell, 8, 7, 2, []string{"a", "b"}, 2).NewState()
		if err := other.UnmarshalBinary(snap); !errors.Is(err, ErrSnapshot) {
			t.Errorf("%s: restore into a wrong-sized state: %v", cell, err)
		}
		if err := restored.UnmarshalBinary(snap[:len(snap)-1]); !errors.Is(err, ErrSnapshot) {
			t.Errorf("%s: truncated snapshot: %v", cell, err)
		}
	}
}

// TestWindowerMatchesFromScratch checks the running states against
// recomputing each window from a zero state.
func TestWindowerMatchesFromScratch(t *testing.T) {
	for _, head := range []Head{HeadLast, HeadMean} {
		for _, ws := range [][2]int{{8, 4}, {6, 4}, {5, 5}, {4, 1}} {
			m := NewRandom(CellLSTM, 5, 7, 2, []string{"a", "b", "c"}, 4)
			m.Mode, m.Window, m.Stride, m.Head = ModeManyToOne, ws[0], ws[1], head
			r := rand.New(rand.NewSource(2))
			xs := make([][]float32, 40)
			for i := range xs {
				xs[i] = make([]float32, 5)
				for j := range xs[i] {
					xs[i][j] = r.Float32()*2 - 1
				}
			}
			want := m.Windows(xs)
			w := NewWindower(m)
			p := make([]float32, 3)
			var got [][]float32
			for _, x := range xs {
				if w.Push(x, p) {
					got = append(got, append([]float32(nil), p...))
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%s %v: %d windows, want %d", head, ws, len(got), len(want))
			}
			for i := range got {
				for j := range got[i] {
					if d := got[i][j] - want[i][j]; d > 1e-6 || d < -1e-6 {
						t.Fatalf("%s %v window %d: %v, want %v", head, ws, i, got[i], want[i])
					}
				}
			}
			if n := testing.AllocsPerRun(50, func() { w.Push(xs[0], p) }); n != 0 {
				t.Errorf("Push allocates %v", n)
			}
		}
	}
}
