package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"time"

	"gorgonia.org/tensor"

	"github.com/activityd/activityd/rnn"
)

// Config says what to train and how.
type Config struct {
	Cell   rnn.Cell
	Hidden int
	Layers int
	Mode   rnn.Mode
	Head   rnn.Head
	Labels []string
	// Window and Stride (many-to-one) are recorded in the model; the
	// examples must already be windows of Window steps.
	Window, Stride int
	FPS            float64
	Backbone       string
	BackboneSHA256 string
	FeatureMode    string
	// Standardise sets the model's norm from the training examples.
	Standardise bool

	Batch        int
	Epochs       int
	LR           float64
	ClipNorm     float64   // clip gradients to this global L2 norm (0: off)
	ClassWeights []float64 // per class loss weight (nil: all 1)
	Patience     int       // stop after this many epochs without a better validation score (0: never)
	// StopAt stops training once the validation accuracy reaches it (0: off).
	StopAt float64
	Seed   int64

	// Progress, when set, is called after every batch.
	Progress func(epoch, batch, batches int, loss float64)
	// EpochDone, when set, is called after every epoch.
	EpochDone func(EpochStats)
}

// EpochStats is what one epoch measured.
type EpochStats struct {
	Epoch     int     `json:"epoch"`
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	ValLoss   float64 `json:"val_loss"`
	ValAcc    float64 `json:"val_acc"`
	GradNorm  float64 `json:"grad_norm"`
	Seconds   float64 `json:"seconds"`
}

// Result is a finished training run.
type Result struct {
	Model     *rnn.Model   // the best model on validation
	BestEpoch int          `json:"best_epoch"`
	History   []EpochStats `json:"history"`
	SeqPerSec float64      `json:"sequences_per_second"`
}

func (c *Config) defaults() {
	if c.Hidden == 0 {
		c.Hidden = 64
	}
	if c.Layers == 0 {
		c.Layers = 1
	}
	if c.Mode == "" {
		c.Mode = rnn.ModeManyToOne
	}
	if c.Head == "" {
		c.Head = rnn.HeadLast
	}
	if c.Batch == 0 {
		c.Batch = 32
	}
	if c.Epochs == 0 {
		c.Epochs = 30
	}
	if c.LR == 0 {
		c.LR = 0.01
	}
}

// ErrNoData is returned when there is nothing to train on.
var ErrNoData = errors.New("train: no training examples")

// Train fits a model to train, keeps the one with the best validation
// score (accuracy, then loss; the training set's when valid is empty) and
// returns it. The same seed, data and config give the same model.
func Train(ctx context.Context, cfg Config, train, valid []Example) (*Result, error) {
	cfg.defaults()
	if len(train) == 0 {
		return nil, ErrNoData
	}
	T := len(train[0].X)
	I := len(train[0].X[0])
	for i, e := range append(append([]Example(nil), train...), valid...) {
		if len(e.X) != T {
			return nil, fmt.Errorf("train: example %d has %d steps, want %d", i, len(e.X), T)
		}
	}
	C := len(cfg.Labels)
	spec := Spec{Cell: cfg.Cell, Input: I, Hidden: cfg.Hidden, Layers: cfg.Layers, Classes: C, Mode: cfg.Mode, Head: cfg.Head}
	m := rnn.NewRandom(cfg.Cell, I, cfg.Hidden, cfg.Layers, cfg.Labels, cfg.Seed)
	m.Mode, m.Head, m.Window, m.Stride, m.FPS = cfg.Mode, cfg.Head, cfg.Window, cfg.Stride, cfg.FPS
	if m.Mode == rnn.ModeManyToOne && m.Window == 0 {
		m.Window, m.Stride = T, T
	}
	if m.Mode == rnn.ModeManyToMany {
		m.Head = ""
	}
	m.Backbone, m.BackboneSHA256, m.FeatureMode = cfg.Backbone, cfg.BackboneSHA256, cfg.FeatureMode
	if cfg.Standardise {
		m.Mean, m.Std = Standardisation(train, I)
	}
	u, err := build(spec, m, cfg.Batch, T, tensor.Float32)
	if err != nil {
		return nil, err
	}
	params := u.p.all()
	sizes := make([]int, len(params))
	data := make([]any, len(params))
	for i, p := range params {
		sizes[i] = p.Shape().TotalSize()
		data[i] = p.Value().Data()
	}
	opt := newAdam(cfg.LR, sizes)
	rng := rand.New(rand.NewSource(cfg.Seed))
	res := &Result{}
	best := m
	bestAcc, bestLoss := -1.0, math.Inf(1)
	since := 0
	var seqs int
	var trainTime time.Duration
	order := make([]int, len(train))
	for i := range order {
		order[i] = i
	}
	nb := (len(train) + cfg.Batch - 1) / cfg.Batch
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		start := time.Now()
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var lossSum, normSum float64
		for b := 0; b < nb; b++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			idx := order[b*cfg.Batch : min((b+1)*cfg.Batch, len(order))]
			xs, ws := u.batch(train, idx, m, cfg.ClassWeights)
			if err := u.setInputs(xs, ws); err != nil {
				return nil, err
			}
			loss, err := u.run()
			if err != nil {
				return nil, err
			}
			grads, err := u.grads()
			if err != nil {
				return nil, err
			}
			normSum += clipGlobalNorm(grads, cfg.ClipNorm)
			opt.step(data, grads)
			lossSum += loss
			seqs += len(idx)
			if cfg.Progress != nil {
				cfg.Progress(epoch, b+1, nb, loss)
			}
		}
		trainTime += time.Since(start)
		cur := cloneModel(m)
		u.model(cur)
		st := EpochStats{Epoch: epoch, TrainLoss: lossSum / float64(nb), GradNorm: normSum / float64(nb)}
		st.TrainAcc, _ = Evaluate(cur, train)
		score, scoreLoss := st.TrainAcc, st.TrainLoss
		if len(valid) > 0 {
			st.ValAcc, st.ValLoss = Evaluate(cur, valid)
			score, scoreLoss = st.ValAcc, st.ValLoss
		}
		st.Seconds = time.Since(start).Seconds()
		res.History = append(res.History, st)
		if cfg.EpochDone != nil {
			cfg.EpochDone(st)
		}
		if score > bestAcc || (score == bestAcc && scoreLoss < bestLoss) {
			best, bestAcc, bestLoss, res.BestEpoch, since = cur, score, scoreLoss, epoch, 0
			if cfg.StopAt > 0 && score >= cfg.StopAt {
				break
			}
		} else if since++; cfg.Patience > 0 && since >= cfg.Patience {
			break
		}
	}
	res.Model = best
	if trainTime > 0 {
		res.SeqPerSec = float64(seqs) / trainTime.Seconds()
	}
	return res, nil
}

// batch lays out examples idx as the graph's inputs: standardised features
// per step, and per output the one-hot targets times their class weight
// divided by the number of real sequences (rows past len(idx) are padding
// with zero weight).
func (u *unrolled) batch(ex []Example, idx []int, m *rnn.Model, cw []float64) (xs, ws [][]float64) {
	B, I, C := u.B, u.spec.Input, u.spec.Classes
	xs = make([][]float64, u.T)
	for t := range xs {
		xs[t] = make([]float64, B*I)
		for r, k := range idx {
			for i, v := range ex[k].X[t] {
				if m.Mean != nil {
					v = (v - m.Mean[i]) / m.Std[i]
				}
				xs[t][r*I+i] = float64(v)
			}
		}
	}
	ws = make([][]float64, len(u.ws))
	n := float64(len(idx))
	weight := func(c int) float64 {
		if cw == nil {
			return 1 / n
		}
		return cw[c] / n
	}
	for i := range ws {
		ws[i] = make([]float64, B*C)
		for r, k := range idx {
			lab := ex[k].Label
			if u.spec.Mode == rnn.ModeManyToMany {
				lab = ex[k].Labels[i]
			}
			if lab >= 0 {
				ws[i][r*C+lab] = weight(lab)
			}
		}
	}
	return xs, ws
}

func cloneModel(m *rnn.Model) *rnn.Model {
	c := *m
	c.Layers = make([]rnn.Layer, len(m.Layers))
	for i, L := range m.Layers {
		c.Layers[i] = rnn.Layer{In: L.In, Wih: clone(L.Wih), Whh: clone(L.Whh), Bih: clone(L.Bih), Bhh: clone(L.Bhh)}
	}
	c.HeadW, c.HeadB = clone(m.HeadW), clone(m.HeadB)
	return &c
}

func clone(v []float32) []float32 { return append([]float32(nil), v...) }

// Evaluate runs the pure-Go model over examples and returns the accuracy
// and the mean cross-entropy: per window (many-to-one) or per labelled
// step (many-to-many).
func Evaluate(m *rnn.Model, examples []Example) (acc, loss float64) {
	var right, n int
	for _, p := range Predict(m, examples) {
		if p.Target == Ignore {
			continue
		}
		n++
		if p.Pred == p.Target {
			right++
		}
		loss -= math.Log(math.Max(float64(p.Probs[p.Target]), 1e-30))
	}
	if n == 0 {
		return 0, 0
	}
	return float64(right) / float64(n), loss / float64(n)
}

// Prediction is the model's answer for one window or one step.
type Prediction struct {
	Example, Step int
	Target, Pred  int
	Probs         []float32
}

// Predict runs the pure-Go model over examples: one prediction per window
// (many-to-one) or per step (many-to-many).
func Predict(m *rnn.Model, examples []Example) []Prediction {
	var out []Prediction
	for k, e := range examples {
		if m.IsManyToOne() {
			w := *m
			w.Window, w.Stride = len(e.X), len(e.X)
			p := w.Windows(e.X)[0]
			out = append(out, Prediction{Example: k, Step: len(e.X) - 1, Target: e.Label, Pred: rnn.Argmax(p), Probs: p})
			continue
		}
		for t, p := range m.Sequence(e.X) {
			out = append(out, Prediction{Example: k, Step: t, Target: e.Labels[t], Pred: rnn.Argmax(p), Probs: p})
		}
	}
	return out
}
