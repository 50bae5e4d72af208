package train

import "math"

// adam is the Adam optimiser (Kingma and Ba) over flat parameter vectors.
type adam struct {
	lr, b1, b2, eps float64
	t               int
	m, v            [][]float64
}

func newAdam(lr float64, sizes []int) *adam {
	a := &adam{lr: lr, b1: 0.9, b2: 0.999, eps: 1e-8}
	for _, n := range sizes {
		a.m = append(a.m, make([]float64, n))
		a.v = append(a.v, make([]float64, n))
	}
	return a
}

// step updates every params[k] (a []float32 or []float64 backing slice) in
// place from grads[k].
func (a *adam) step(params []any, grads [][]float64) {
	a.t++
	c1 := 1 - math.Pow(a.b1, float64(a.t))
	c2 := 1 - math.Pow(a.b2, float64(a.t))
	for k, g := range grads {
		m, v := a.m[k], a.v[k]
		for i, gi := range g {
			m[i] = a.b1*m[i] + (1-a.b1)*gi
			v[i] = a.b2*v[i] + (1-a.b2)*gi*gi
			d := -a.lr * (m[i] / c1) / (math.Sqrt(v[i]/c2) + a.eps)
			switch p := params[k].(type) {
			case []float32:
				p[i] += float32(d)
			case []float64:
				p[i] += d
			}
		}
	}
}

// clipGlobalNorm scales grads so that their joint L2 norm is at most max
// and returns the norm before clipping. max <= 0 disables clipping.
func clipGlobalNorm(grads [][]float64, max float64) float64 {
	var ss float64
	for _, g := range grads {
		for _, v := range g {
			ss += v * v
		}
	}
	norm := math.Sqrt(ss)
	if max > 0 && norm > max {
		s := max / norm
		for _, g := range grads {
			for i := range g {
				g[i] *= s
			}
		}
	}
	return norm
}
