package train

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/activityd/activityd/rnn"
)

// params are the learnable nodes: per layer l and gate k, wih[l][k]
// [I_l, H] and whh[l][k] [H, H] (the transpose of PyTorch's block k, so
// that a batch [B, I] multiplies it directly), bih[l][k] and bhh[l][k] [H].
// One node per gate rather than one [I, G*H] matrix sliced into gates:
// slices of a matrix give wrong values in gorgonia v0.9.18 (column slices
// at H = 128 or 256; row blocks of a [T*B, H] product at batch 32), so the
// graph uses no Slice at all (TestGraphMatchesStep covers such sizes).
type params struct {
	wih, whh, bih, bhh [][]*G.Node
	headW, headB       *G.Node // [H, C], [C]
}

func (p *params) all() G.Nodes {
	var n G.Nodes
	for l := range p.wih {
		for k := range p.wih[l] {
			n = append(n, p.wih[l][k], p.whh[l][k], p.bih[l][k], p.bhh[l][k])
		}
	}
	return append(n, p.headW, p.headB)
}

// unrolled is one graph: B sequences of T steps through the network, with
// a weighted cross-entropy loss.
type unrolled struct {
	g      *G.ExprGraph
	dt     tensor.Dtype
	spec   Spec
	B, T   int
	p      params
	xs     []*G.Node // T inputs [B, I]
	ws     []*G.Node // loss weights [B, C]: one-hot target times weight
	logits []*G.Node // T outputs [B, C] (many-to-one: one)
	loss   *G.Node
	vals   []G.Value // read-outs of logits
	lossV  G.Value
	vm     G.VM
}

// Spec is the shape of the network and the problem.
type Spec struct {
	Cell    rnn.Cell
	Input   int
	Hidden  int
	Layers  int
	Classes int
	Mode    rnn.Mode
	Head    rnn.Head
}

// build unrolls the network for B sequences of T steps. Parameter values
// come from m (PyTorch layout) and are copied in.
func build(spec Spec, m *rnn.Model, B, T int, dt tensor.Dtype) (*unrolled, error) {
	u := &unrolled{g: G.NewGraph(), dt: dt, spec: spec, B: B, T: T}
	g, H, C := u.g, spec.Hidden, spec.Classes
	gates := spec.Cell.Gates()
	for l, L := range m.Layers {
		var wih, whh, bih, bhh []*G.Node
		for k := 0; k < gates; k++ {
			name := func(p string) G.NodeConsOpt { return G.WithName(fmt.Sprintf("%s%d_%d", p, l, k)) }
			wih = append(wih, G.NewMatrix(g, dt, G.WithShape(L.In, H), name("wih"),
				G.WithValue(transposed(L.Wih[k*H*L.In:(k+1)*H*L.In], H, L.In, dt))))
			whh = append(whh, G.NewMatrix(g, dt, G.WithShape(H, H), name("whh"),
				G.WithValue(transposed(L.Whh[k*H*H:(k+1)*H*H], H, H, dt))))
			bih = append(bih, G.NewVector(g, dt, G.WithShape(H), name("bih"), G.WithValue(dense(L.Bih[k*H:(k+1)*H], []int{H}, dt))))
			bhh = append(bhh, G.NewVector(g, dt, G.WithShape(H), name("bhh"), G.WithValue(dense(L.Bhh[k*H:(k+1)*H], []int{H}, dt))))
		}
		u.p.wih, u.p.whh = append(u.p.wih, wih), append(u.p.whh, whh)
		u.p.bih, u.p.bhh = append(u.p.bih, bih), append(u.p.bhh, bhh)
	}
	u.p.headW = G.NewMatrix(g, dt, G.WithShape(H, C), G.WithName("headW"), G.WithValue(transposed(m.HeadW, C, H, dt)))
	u.p.headB = G.NewVector(g, dt, G.WithShape(C), G.WithName("headB"), G.WithValue(dense(m.HeadB, []int{C}, dt)))

	var err error
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("train: building graph: %v", r)
		}
	}()
	h := make([]*G.Node, spec.Layers)
	c := make([]*G.Node, spec.Layers)
	for l := range h {
		h[l] = G.NewMatrix(g, dt, G.WithShape(B, H), G.WithName(fmt.Sprintf("h0_%d", l)), G.WithInit(G.Zeroes()))
		c[l] = G.NewMatrix(g, dt, G.WithShape(B, H), G.WithName(fmt.Sprintf("c0_%d", l)), G.WithInit(G.Zeroes()))
	}
	var stepLogits []*G.Node
	for t := 0; t < T; t++ {
		x := G.NewMatrix(g, dt, G.WithShape(B, spec.Input), G.WithName(fmt.Sprintf("x%d", t)))
		u.xs = append(u.xs, x)
		in := x
		for l := range h {
			h[l], c[l] = u.cell(l, in, h[l], c[l])
			in = h[l]
		}
		lg := G.Must(G.BroadcastAdd(G.Must(G.Mul(in, u.p.headW)), u.p.headB, nil, []byte{0}))
		stepLogits = append(stepLogits, lg)
	}
	switch {
	case spec.Mode == rnn.ModeManyToOne && spec.Head == rnn.HeadMean:
		sum := stepLogits[0]
		for _, lg := range stepLogits[1:] {
			sum = G.Must(G.Add(sum, lg))
		}
		u.logits = []*G.Node{G.Must(G.Div(sum, G.NewConstant(castScalar(float64(T), dt))))}
	case spec.Mode == rnn.ModeManyToOne:
		u.logits = stepLogits[T-1:]
	default:
		u.logits = stepLogits
	}
	var total *G.Node
	for i, lg := range u.logits {
		w := G.NewMatrix(g, dt, G.WithShape(B, C), G.WithName(fmt.Sprintf("w%d", i)))
		u.ws = append(u.ws, w)
		lse := G.Must(G.Log(G.Must(G.Sum(G.Must(G.Exp(lg)), 1))))
		logp := G.Must(G.BroadcastSub(lg, lse, nil, []byte{1}))
		term := G.Must(G.Sum(G.Must(G.HadamardProd(w, logp))))
		if total == nil {
			total = term
		} else {
			total = G.Must(G.Add(total, term))
		}
	}
	u.loss = G.Must(G.Neg(total))
	u.vals = make([]G.Value, len(u.logits))
	for i, lg := range u.logits {
		G.Read(lg, &u.vals[i])
	}
	G.Read(u.loss, &u.lossV)
	if _, err := G.Grad(u.loss, u.p.all()...); err != nil {
		return nil, fmt.Errorf("train: gradients: %w", err)
	}
	u.vm = G.NewTapeMachine(g, G.BindDualValues(u.p.all()...))
	return u, err
}

// cell is one step of layer l; c is used by the LSTM only.
func (u *unrolled) cell(l int, x, h, c *G.Node) (*G.Node, *G.Node) {
	lin := func(v, w, b *G.Node) *G.Node {
		return G.Must(G.BroadcastAdd(G.Must(G.Mul(v, w)), b, nil, []byte{0}))
	}
	gi := func(k int) *G.Node { return lin(x, u.p.wih[l][k], u.p.bih[l][k]) }
	gh := func(k int) *G.Node { return lin(h, u.p.whh[l][k], u.p.bhh[l][k]) }
	add := func(a, b *G.Node) *G.Node { return G.Must(G.Add(a, b)) }
	mul := func(a, b *G.Node) *G.Node { return G.Must(G.HadamardProd(a, b)) }
	sig := func(a *G.Node) *G.Node { return G.Must(G.Sigmoid(a)) }
	tanh := func(a *G.Node) *G.Node { return G.Must(G.Tanh(a)) }
	switch u.spec.Cell {
	case rnn.CellGRU:
		// PyTorch's gate order r, z, n.
		r := sig(add(gi(0), gh(0)))
		z := sig(add(gi(1), gh(1)))
		n := tanh(add(gi(2), mul(r, gh(2))))
		// h' = (1-z) n + z h = n + z (h - n)
		return add(n, mul(z, G.Must(G.Sub(h, n)))), c
	case rnn.CellLSTM:
		// PyTorch's gate order i, f, g, o.
		i, f := sig(add(gi(0), gh(0))), sig(add(gi(1), gh(1)))
		gg, o := tanh(add(gi(2), gh(2))), sig(add(gi(3), gh(3)))
		c2 := add(mul(f, c), mul(i, gg))
		return mul(o, tanh(c2)), c2
	default:
		return tanh(add(gi(0), gh(0))), c
	}
}

// transposed returns the [rows, cols] row-major w as a [cols, rows] tensor.
func transposed(w []float32, rows, cols int, dt tensor.Dtype) *tensor.Dense {
	t := make([]float32, len(w))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			t[c*rows+r] = w[r*cols+c]
		}
	}
	return dense(t, []int{cols, rows}, dt)
}

func dense(v []float32, shape []int, dt tensor.Dtype) *tensor.Dense {
	if dt == tensor.Float64 {
		d := make([]float64, len(v))
		for i, x := range v {
			d[i] = float64(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float32(nil), v...)))
}

func castScalar(v float64, dt tensor.Dtype) any {
	if dt == tensor.Float64 {
		return v
	}
	return float32(v)
}

// floats returns a value's backing data as float64s (a copy).
func floats(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case float64:
		return []float64{d}
	case float32:
		return []float64{float64(d)}
	}
	panic(fmt.Sprintf("train: unexpected value data %T", v.Data()))
}

// model copies the graph's current weights back into m (PyTorch layout).
func (u *unrolled) model(m *rnn.Model) {
	H := u.spec.Hidden
	for l := range m.Layers {
		L := &m.Layers[l]
		for k := range u.p.wih[l] {
			untranspose(L.Wih[k*H*L.In:(k+1)*H*L.In], floats(u.p.wih[l][k].Value()), H, L.In)
			untranspose(L.Whh[k*H*H:(k+1)*H*H], floats(u.p.whh[l][k].Value()), H, H)
			copyF(L.Bih[k*H:(k+1)*H], floats(u.p.bih[l][k].Value()))
			copyF(L.Bhh[k*H:(k+1)*H], floats(u.p.bhh[l][k].Value()))
		}
	}
	untranspose(m.HeadW, floats(u.p.headW.Value()), u.spec.Classes, H)
	copyF(m.HeadB, floats(u.p.headB.Value()))
}

// untranspose writes the [cols, rows] t into dst as [rows, cols].
func untranspose(dst []float32, t []float64, rows, cols int) {
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			dst[r*cols+c] = float32(t[c*rows+r])
		}
	}
}

func copyF(dst []float32, src []float64) {
	for i, v := range src {
		dst[i] = float32(v)
	}
}

// setInputs binds a batch: xs[t] is [B*I] and ws[i] is [B*C].
func (u *unrolled) setInputs(xs, ws [][]float64) error {
	for t, x := range xs {
		if err := G.Let(u.xs[t], denseF64(x, []int{u.B, u.spec.Input}, u.dt)); err != nil {
			return err
		}
	}
	for i, w := range ws {
		if err := G.Let(u.ws[i], denseF64(w, []int{u.B, u.spec.Classes}, u.dt)); err != nil {
			return err
		}
	}
	return nil
}

func denseF64(v []float64, shape []int, dt tensor.Dtype) *tensor.Dense {
	if dt == tensor.Float64 {
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	}
	d := make([]float32, len(v))
	for i, x := range v {
		d[i] = float32(x)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
}

// grads returns a copy of every parameter's gradient, in params order, and
// zeroes them: Gorgonia accumulates gradients across runs.
func (u *unrolled) grads() ([][]float64, error) {
	ps := u.p.all()
	out := make([][]float64, len(ps))
	for i, p := range ps {
		gv, err := p.Grad()
		if err != nil {
			return nil, fmt.Errorf("train: gradient of %s: %w", p.Name(), err)
		}
		out[i] = floats(gv)
		if z, ok := gv.(tensor.Tensor); ok {
			z.Zero()
		}
	}
	return out, nil
}

// run does one forward and backward pass and returns the loss.
func (u *unrolled) run() (float64, error) {
	defer u.vm.Reset()
	if err := u.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("train: %w", err)
	}
	return floats(u.lossV)[0], nil
}
