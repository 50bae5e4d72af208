package train

import "math/rand"

// OrderTask makes the synthetic many-to-one task where the class is the
// ORDER in which three patterns appear: each sequence shows patterns A, B
// and C once each, in one of the 3! = 6 orders, for segments of random
// length, with noise. Every class spends about a third of its time on each
// pattern, so time-averaged features carry no class information.
func OrderTask(n, steps, dim int, noise float64, seed int64) ([]Example, []string) {
	r := rand.New(rand.NewSource(seed))
	pats := patterns(r, 3, dim)
	perms := [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	labels := []string{"ABC", "ACB", "BAC", "BCA", "CAB", "CBA"}
	out := make([]Example, n)
	for k := range out {
		c := r.Intn(len(perms))
		// Segment lengths: steps/5 each, the rest dealt out one step at a
		// time to a random segment, so no position is longer on average.
		lo := steps / 5
		var seg3 [3]int
		for i := range seg3 {
			seg3[i] = lo
		}
		for i := 0; i < steps-3*lo; i++ {
			seg3[r.Intn(3)]++
		}
		a, b := seg3[0], seg3[0]+seg3[1]
		e := Example{Label: c, Clip: k}
		for t := 0; t < steps; t++ {
			seg := 0
			if t >= b {
				seg = 2
			} else if t >= a {
				seg = 1
			}
			e.X = append(e.X, noisy(r, pats[perms[c][seg]], noise))
		}
		out[k] = e
	}
	return out, labels
}

// ChangeTask makes the synthetic many-to-many task: each sequence shows one
// of classes patterns, then switches to another at a random step between a
// quarter and three quarters of the way; every step is labelled with the
// pattern shown. The noise is strong enough that one frame alone is often
// misread, so the state must integrate evidence over time.
func ChangeTask(n, steps, dim, classes int, noise float64, seed int64) ([]Example, []string, []int) {
	r := rand.New(rand.NewSource(seed))
	pats := patterns(r, classes, dim)
	labels := make([]string, classes)
	for i := range labels {
		labels[i] = string(rune('a' + i))
	}
	out := make([]Example, n)
	cuts := make([]int, n)
	for k := range out {
		a := r.Intn(classes)
		b := (a + 1 + r.Intn(classes-1)) % classes
		cut := steps/4 + r.Intn(steps/2+1)
		cuts[k] = cut
		e := Example{Clip: k}
		for t := 0; t < steps; t++ {
			c := a
			if t >= cut {
				c = b
			}
			e.X = append(e.X, noisy(r, pats[c], noise))
			e.Labels = append(e.Labels, c)
		}
		out[k] = e
	}
	return out, labels, cuts
}

func patterns(r *rand.Rand, n, dim int) [][]float32 {
	p := make([][]float32, n)
	for i := range p {
		p[i] = make([]float32, dim)
		for j := range p[i] {
			p[i][j] = float32(r.NormFloat64())
		}
	}
	return p
}

func noisy(r *rand.Rand, p []float32, noise float64) []float32 {
	x := make([]float32, len(p))
	for i, v := range p {
		x[i] = v + float32(r.NormFloat64()*noise)
	}
	return x
}

// MeanFeatures is the bag-of-features view of examples: each window's
// time-averaged feature vector.
func MeanFeatures(examples []Example) [][]float64 {
	out := make([][]float64, len(examples))
	for k, e := range examples {
		out[k] = make([]float64, len(e.X[0]))
		for _, x := range e.X {
			for i, v := range x {
				out[k][i] += float64(v) / float64(len(e.X))
			}
		}
	}
	return out
}
