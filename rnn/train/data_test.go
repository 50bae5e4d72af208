package train

import (
	"reflect"
	"testing"
)

func seq(n int) ([][]float32, []int) {
	x := make([][]float32, n)
	y := make([]int, n)
	for i := range x {
		x[i] = []float32{float32(i)}
		y[i] = i % 3
	}
	return x, y
}

// TestChunksScoreEachStepOnce checks that every step is scored exactly
// once and that later chunks carry t/2 steps of context.
func TestChunksScoreEachStepOnce(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 16, 23} {
		x, y := seq(n)
		scored := make([]int, n)
		for k, c := range Chunks(x, y, 0, 8) {
			if len(c.X) != 8 || len(c.Labels) != 8 {
				t.Fatalf("n=%d chunk %d: %d steps", n, k, len(c.X))
			}
			for i, l := range c.Labels {
				if l == Ignore {
					continue
				}
				step := int(c.X[i][0])
				if l != y[step] {
					t.Fatalf("n=%d: label %d at step %d, want %d", n, l, step, y[step])
				}
				scored[step]++
				if k > 0 && i < 4 {
					t.Errorf("n=%d chunk %d scores step %d in its context half", n, k, i)
				}
			}
		}
		for i, c := range scored {
			if c != 1 {
				t.Errorf("n=%d: step %d scored %d times", n, i, c)
			}
		}
	}
}

func TestWindowsPadShortClips(t *testing.T) {
	x, _ := seq(3)
	w := Windows(x, 2, 7, 5, 2)
	if len(w) != 1 || len(w[0].X) != 5 || w[0].X[0][0] != 0 || w[0].X[2][0] != 0 || w[0].X[4][0] != 2 || w[0].Label != 2 {
		t.Errorf("short clip windows: %+v", w)
	}
	x, _ = seq(10)
	var starts []float32
	for _, e := range Windows(x, 1, 0, 4, 3) {
		starts = append(starts, e.X[0][0])
	}
	if !reflect.DeepEqual(starts, []float32{0, 3, 6}) {
		t.Errorf("window starts %v", starts)
	}
}

func TestStandardisationFloor(t *testing.T) {
	ex := []Example{{X: [][]float32{{0, 5, 1}, {2, 5, 1.0001}, {4, 5, 1}}}}
	mean, std := Standardisation(ex, 3)
	if mean[0] != 2 || mean[1] != 5 {
		t.Errorf("mean %v", mean)
	}
	if std[1] <= 0 || std[2] < std[0]/40 {
		t.Errorf("near-constant features not floored: %v", std)
	}
}
