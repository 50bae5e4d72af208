package main

import (
	"math"
	"math/rand"

	"github.com/activityd/activityd/rnn"
	"github.com/activityd/activityd/rnn/dataset"
	"github.com/activityd/activityd/rnn/train"
)

// The default model is a two-layer GRU whose first layer is not trained
// but built: a "motion layer". Trained end to end on raw per-frame
// features, a GRU memorises each video's background (which fills the
// features) and stays at chance on new videos (docs/default-model.md). The
// motion layer instead projects the standardised features on K directions
// u_k and gives, for each, a unit holding the current projection and a unit
// holding its change since the previous frame:
//
//	A_k(t) = tanh(e_k u_k.x(t))
//	B_k(t) = tanh(e_k u_k.x(t) - A_k(t-1))  ~  e_k u_k.(x(t) - x(t-1))
//
// which is an ordinary PyTorch GRU layer (update gate shut, reset gate
// open, one -1 in W_hn per pair), so the file stays activityd.rnn.v1 and
// runs in the daemon and in PyTorch unchanged. The directions are the main
// axes of how the features move during an activity: the principal
// components of each training segment's displacement (the mean of its
// second half minus the mean of its first half). The second layer is a GRU
// trained on the motion layer's changes B_k only: its input weights from the
// A_k are zero, so the current appearance of the scene, which identifies a
// video's background, does not reach it. With -trend the layer also keeps
// a leaky average C_k of each A_k and gives D_k, the projection against
// that average (see motionLayer); the trained layer then sees B_k and D_k.

// gateBias saturates the motion layer's gates: sigmoid(-15) ~ 3e-7.
const gateBias = 15

// motionLayer builds the motion layer over I standardised features with K
// directions from the training items. With trend > 0 (analysed frames) it
// also has, per direction, a leaky average C_k of A_k over about trend
// frames and a unit D_k = tanh(e_k u_k.x(t) - C_k(t-1)): where the
// projection stands against its recent past. Still appearance-free (a
// still background cancels), D_k integrates over several frames what B_k
// sees in one, and its phase against B_k tells a turn's sense.
func motionLayer(items []dataset.Item, mean, std []float32, K, lda int, seed int64, trend float64, spin spinSpec) rnn.Layer {
	I := len(mean)
	z := func(x []float32) []float64 {
		out := make([]float64, I)
		for i, v := range x {
			out[i] = float64((v - mean[i]) / std[i])
		}
		return out
	}
	// Displacements of every labelled run (a clip, or a scripted segment).
	var disp [][]float64
	var dispLabel []int
	for _, it := range items {
		if it.FrameLabels != nil && it.FrameLabels[0] < 0 {
			continue
		}
		runs := [][2]int{{0, len(it.X)}}
		if it.FrameLabels != nil {
			runs = runs[:0]
			s := 0
			for t := 1; t <= len(it.X); t++ {
				if t == len(it.X) || it.FrameLabels[t] != it.FrameLabels[s] {
					runs = append(runs, [2]int{s, t})
					s = t
				}
			}
		}
		for _, r := range runs {
			n := r[1] - r[0]
			if n < 4 {
				continue
			}
			d := make([]float64, I)
			h := r[0] + n/2
			for t := r[0]; t < r[1]; t++ {
				w := 1.0 / float64(r[1]-h)
				if t < h {
					w = -1.0 / float64(h-r[0])
				}
				for i, v := range z(it.X[t]) {
					d[i] += w * v
				}
			}
			disp = append(disp, d)
			lab := it.Label
			if it.FrameLabels != nil {
				lab = it.FrameLabels[r[0]]
			}
			dispLabel = append(dispLabel, lab)
		}
	}
	var U [][]float64
	if lda > 0 {
		U = ldaDirections(disp, dispLabel, lda, I)
	}
	if spin.planes > 0 {
		U = append(U, spinDirections(items, z, spin, I, seed)...)
	}
	U = append(U, topDirections(disp, I, K-len(U), seed)...)
	// Scale each projection to a standard deviation of 0.5 over the
	// training frames, inside tanh's nearly linear range.
	eps := make([]float64, K)
	for k := range U {
		var s, s2, n float64
		for _, it := range items {
			for _, x := range it.X {
				p := dot(U[k], z(x))
				s, s2, n = s+p, s2+p*p, n+1
			}
		}
		sd := math.Sqrt(math.Max(s2/n-(s/n)*(s/n), 1e-12))
		eps[k] = 0.5 / sd
	}
	// Units, in this order: the appearance half, which the trained layer
	// does not see (A_k, then C_k with a trend), then the motion half
	// (B_k, then D_k with a trend).
	groups := 2
	if trend > 0 {
		groups = 4
	}
	H := groups * K
	a, b := 0, H/2 // first A_k and first B_k
	L := rnn.Layer{In: I, Wih: make([]float32, 3*H*I), Whh: make([]float32, 3*H*H), Bih: make([]float32, 3*H), Bhh: make([]float32, 3*H)}
	for j := 0; j < H; j++ {
		L.Bih[j] = gateBias    // r: open
		L.Bih[H+j] = -gateBias // z: shut, h(t) = n(t)
	}
	// C_k keeps the share exp(-1/trend) of its last value: its update gate
	// is a constant.
	zc := float32(0)
	if trend > 0 {
		keep := math.Exp(-1 / trend)
		zc = float32(math.Log(keep / (1 - keep)))
	}
	for k := 0; k < K; k++ {
		for i := 0; i < I; i++ {
			w := float32(eps[k] * U[k][i])
			L.Wih[(2*H+a+k)*I+i] = w // A_k
			L.Wih[(2*H+b+k)*I+i] = w // B_k
			if trend > 0 {
				L.Wih[(2*H+a+K+k)*I+i] = w // C_k: n = A_k(t)
				L.Wih[(2*H+b+K+k)*I+i] = w // D_k
			}
		}
		L.Whh[(2*H+b+k)*H+a+k] = -1 // B_k subtracts A_k(t-1)
		if trend > 0 {
			L.Bih[H+a+K+k] = zc             // C_k: a leaky average of A_k
			L.Whh[(2*H+b+K+k)*H+a+K+k] = -1 // D_k subtracts C_k(t-1)
		}
	}
	return L
}

// topDirections returns the K leading eigenvectors of the second moment of
// vs (subspace iteration).
func topDirections(vs [][]float64, I, K int, seed int64) [][]float64 {
	C := make([]float64, I*I)
	for _, v := range vs {
		for i, a := range v {
			if a == 0 {
				continue
			}
			row := C[i*I : (i+1)*I]
			for j, b := range v {
				row[j] += a * b
			}
		}
	}
	rng := rand.New(rand.NewSource(seed))
	Q := make([][]float64, K)
	for k := range Q {
		Q[k] = make([]float64, I)
		for i := range Q[k] {
			Q[k][i] = rng.NormFloat64()
		}
	}
	for iter := 0; iter < 60; iter++ {
		for k := range Q {
			n := make([]float64, I)
			for i := 0; i < I; i++ {
				n[i] = dot(C[i*I:(i+1)*I], Q[k])
			}
			Q[k] = n
		}
		for k := range Q { // Gram-Schmidt
			for j := 0; j < k; j++ {
				d := dot(Q[k], Q[j])
				for i := range Q[k] {
					Q[k][i] -= d * Q[j][i]
				}
			}
			nrm := math.Sqrt(dot(Q[k], Q[k]))
			for i := range Q[k] {
				Q[k][i] /= nrm
			}
		}
	}
	return Q
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// motionOutputs runs the motion layer (with the raw standardisation) over
// each item from a zero state, as the daemon runs it over a stream.
func motionOutputs(items []dataset.Item, L rnn.Layer, mean, std []float32, labels []string, seeA bool) []dataset.Item {
	H := len(L.Bih) / 3
	m := &rnn.Model{Cell: rnn.CellGRU, InputSize: L.In, HiddenSize: H, Layers: []rnn.Layer{L},
		HeadW: make([]float32, len(labels)*H), HeadB: make([]float32, len(labels)), Labels: labels, Mean: mean, Std: std}
	out := make([]dataset.Item, len(items))
	probs := make([]float32, len(labels))
	for k, it := range items {
		s := m.NewState()
		f := &dataset.Features{Times: it.Times}
		for _, x := range it.X {
			m.Step(s, x, probs)
			y := append([]float32(nil), s.Hidden()...)
			if !seeA {
				clear(y[:H/2]) // the top layer sees only the changes B_k
			}
			f.X = append(f.X, y)
		}
		out[k] = it
		out[k].Features = f
	}
	return out
}

// compose stacks the motion layer under the trained top model and folds the
// top model's own standardisation into its input weights, giving one model
// on raw backbone features.
func compose(L rnn.Layer, mean, std []float32, top *rnn.Model, seeA bool) *rnn.Model {
	m := *top
	t := top.Layers[0]
	In, G := t.In, len(t.Bih)
	Wih, Bih := make([]float32, len(t.Wih)), append([]float32(nil), t.Bih...)
	for g := 0; g < G; g++ {
		for i := 0; i < In; i++ {
			w := t.Wih[g*In+i]
			mu, sd := float32(0), float32(1)
			if top.Mean != nil {
				mu, sd = top.Mean[i], top.Std[i]
			}
			Bih[g] -= w * mu / sd
			if !seeA && i < len(L.Bih)/6 {
				// A_k: the top layer was trained with these inputs at
				// zero, so it only ever saw the constant above.
				continue
			}
			Wih[g*In+i] = w / sd
		}
	}
	m.Layers = []rnn.Layer{L, {In: In, Wih: Wih, Whh: t.Whh, Bih: Bih, Bhh: t.Bhh}}
	m.InputSize, m.Mean, m.Std = L.In, mean, std
	return &m
}

// rawStandardisation is the per-feature mean and std of the training
// frames, as the trainer computes it.
func rawStandardisation(items []dataset.Item, dim int) (mean, std []float32) {
	var ex []train.Example
	for _, it := range items {
		ex = append(ex, train.Example{X: it.X})
	}
	return train.Standardisation(ex, dim)
}

// ldaDirections returns, per class, the direction that best separates its
// mean displacement from the others' against the spread within classes
// (regularised Fisher discriminant): (Sw + lambda I)^-1 (mu_c - mu).
func ldaDirections(disp [][]float64, labels []int, classes, I int) [][]float64 {
	mu := make([][]float64, classes)
	n := make([]float64, classes)
	all := make([]float64, I)
	for c := range mu {
		mu[c] = make([]float64, I)
	}
	for k, d := range disp {
		for i, v := range d {
			mu[labels[k]][i] += v
			all[i] += v / float64(len(disp))
		}
		n[labels[k]]++
	}
	for c := range mu {
		for i := range mu[c] {
			mu[c][i] /= math.Max(n[c], 1)
		}
	}
	S := make([]float64, I*I)
	for k, d := range disp {
		r := make([]float64, I)
		for i := range r {
			r[i] = d[i] - mu[labels[k]][i]
		}
		for i, a := range r {
			row := S[i*I : (i+1)*I]
			for j, b := range r {
				row[j] += a * b
			}
		}
	}
	var tr float64
	for i := 0; i < I; i++ {
		tr += S[i*I+i]
	}
	for i := 0; i < I; i++ {
		S[i*I+i] += 0.1 * tr / float64(I)
	}
	L := cholesky(S, I)
	var out [][]float64
	for c := range mu {
		b := make([]float64, I)
		for i := range b {
			b[i] = mu[c][i] - all[i]
		}
		v := cholSolve(L, I, b)
		nrm := math.Sqrt(dot(v, v))
		for i := range v {
			v[i] /= nrm
		}
		out = append(out, v)
	}
	return out
}

func cholesky(A []float64, n int) []float64 {
	L := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			s := A[i*n+j]
			for k := 0; k < j; k++ {
				s -= L[i*n+k] * L[j*n+k]
			}
			if i == j {
				L[i*n+i] = math.Sqrt(math.Max(s, 1e-12))
			} else {
				L[i*n+j] = s / L[j*n+j]
			}
		}
	}
	return L
}

func cholSolve(L []float64, n int, b []float64) []float64 {
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= L[i*n+k] * y[k]
		}
		y[i] = s / L[i*n+i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= L[k*n+i] * x[k]
		}
		x[i] = s / L[i*n+i]
	}
	return x
}

// spinSpec asks for directions spanning the planes in which the features
// turn during a rotation: planes of them, from the frames labelled cw
// (turning one way) and ccw (the other).
type spinSpec struct{ planes, cw, ccw int }

// spinDirections returns 2 x spin.planes directions spanning the planes in
// which the standardised features of rotating actors turn, one way for cw
// and the other for ccw: the leading singular vectors of the antisymmetric
// matrix sum_t s (z_t z_{t+1}^T - z_{t+1} z_t^T), s = +1 on cw frames and -1
// on ccw ones. A displacement, which the other directions come from, is
// zero on average for a turning actor; this angular momentum is not, and
// its sign is the turn's sense.
func spinDirections(items []dataset.Item, z func([]float32) []float64, spin spinSpec, I int, seed int64) [][]float64 {
	P := make([]float64, I*I)
	for _, it := range items {
		label := func(t int) int {
			if it.FrameLabels != nil {
				return it.FrameLabels[t]
			}
			return it.Label
		}
		var prev []float64 // the last frame, when it was a rotation
		for t := range it.X {
			l := label(t)
			if l != spin.cw && l != spin.ccw {
				prev = nil
				continue
			}
			cur := z(it.X[t])
			if prev != nil && label(t-1) == l {
				sgn := 1.0
				if l == spin.ccw {
					sgn = -1
				}
				for i, a := range prev {
					if a == 0 {
						continue
					}
					row := P[i*I : (i+1)*I]
					for j, b := range cur {
						row[j] += sgn * a * b
					}
				}
			}
			prev = cur
		}
	}
	rows := make([][]float64, I)
	for i := range rows {
		rows[i] = make([]float64, I)
		for j := range rows[i] {
			rows[i][j] = P[i*I+j] - P[j*I+i]
		}
	}
	return topDirections(rows, I, 2*spin.planes, seed)
}
