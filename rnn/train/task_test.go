package train

import (
	"context"
	"testing"
	"time"

	"github.com/activityd/activityd/rnn"
)

// orderSplit is the order task's data: disjoint training, validation and
// held-out test sequences.
func orderSplit() (tr, va, te []Example, labels []string) {
	all, labels := OrderTask(900, 16, 8, 0.8, 42)
	return all[:600], all[600:700], all[700:], labels
}

// TestOrderTask trains each cell on the synthetic task whose class is the
// order of patterns and checks held-out accuracy: GRU and LSTM must reach
// 95%; the vanilla RNN is reported. A softmax regression on time-averaged
// features (the bag-of-features baseline) must stay near chance (1/6).
func TestOrderTask(t *testing.T) {
	tr, va, te, labels := orderSplit()
	cells := []rnn.Cell{rnn.CellGRU, rnn.CellLSTM, rnn.CellRNN}
	if raceOn {
		// The vanilla RNN is only reported; skip it under the race detector.
		cells = cells[:2]
	}
	for _, cell := range cells {
		start := time.Now()
		res, err := Train(context.Background(), Config{
			Cell: cell, Hidden: 24, Layers: 1, Mode: rnn.ModeManyToOne, Head: rnn.HeadLast, Labels: labels,
			Batch: 32, Epochs: 25, LR: 0.02, ClipNorm: 5, Patience: 6, Seed: 1, Standardise: true, StopAt: 1,
		}, tr, va)
		if err != nil {
			t.Fatal(err)
		}
		acc, _ := Evaluate(res.Model, te)
		t.Logf("%s: held-out accuracy %.3f (best epoch %d of %d, %.0f sequences/s, %v)",
			cell, acc, res.BestEpoch, len(res.History), res.SeqPerSec, time.Since(start).Round(time.Millisecond))
		if cell != rnn.CellRNN && acc < 0.95 {
			t.Errorf("%s: held-out accuracy %.3f, want >= 0.95", cell, acc)
		}
	}
	ys := func(ex []Example) []int {
		y := make([]int, len(ex))
		for i, e := range ex {
			y[i] = e.Label
		}
		return y
	}
	lin := FitLinear(MeanFeatures(tr), ys(tr), len(labels), 300, 0.5)
	trainAcc, acc := lin.Accuracy(MeanFeatures(tr), ys(tr)), lin.Accuracy(MeanFeatures(te), ys(te))
	t.Logf("bag-of-features baseline: held-out accuracy %.3f (train %.3f, chance %.3f)", acc, trainAcc, 1.0/6)
	if acc > 0.30 {
		t.Errorf("baseline on time-averaged features scores %.3f: the task leaks the class into the mean", acc)
	}
}

// TestChangeTask trains a many-to-many GRU on sequences whose label
// changes mid-way and checks per-step accuracy away from the change points
// (from 3 steps after a change on; the first 2 steps of a sequence are
// excluded too).
func TestChangeTask(t *testing.T) {
	all, labels, cuts := ChangeTask(500, 16, 8, 4, 1.2, 7)
	tr, va, te := all[:300], all[300:380], all[380:]
	res, err := Train(context.Background(), Config{
		Cell: rnn.CellGRU, Hidden: 24, Mode: rnn.ModeManyToMany, Labels: labels,
		Batch: 32, Epochs: 20, LR: 0.02, ClipNorm: 5, Patience: 5, Seed: 2, StopAt: 0.97,
	}, tr, va)
	if err != nil {
		t.Fatal(err)
	}
	var right, n, rightAll, nAll int
	frame := 0
	for _, p := range Predict(res.Model, te) {
		cut := cuts[380+p.Example]
		nAll++
		if p.Pred == p.Target {
			rightAll++
		}
		if p.Step < 2 || (p.Step >= cut && p.Step < cut+3) {
			continue
		}
		n++
		if p.Pred == p.Target {
			right++
		}
		frame++
	}
	acc := float64(right) / float64(n)
	t.Logf("per-step accuracy away from change points %.3f (%d steps), all steps %.3f", acc, n, float64(rightAll)/float64(nAll))
	if acc < 0.95 {
		t.Errorf("per-step accuracy away from change points %.3f, want >= 0.95", acc)
	}
	// A single noisy frame alone is much less reliable: the model must use
	// its state.
	single := FitLinear(frames(tr), frameLabels(tr), len(labels), 200, 0.5)
	t.Logf("single-frame softmax regression: %.3f", single.Accuracy(frames(te), frameLabels(te)))
}

func frames(ex []Example) [][]float64 {
	var out [][]float64
	for _, e := range ex {
		for _, x := range e.X {
			v := make([]float64, len(x))
			for i, f := range x {
				v[i] = float64(f)
			}
			out = append(out, v)
		}
	}
	return out
}

func frameLabels(ex []Example) []int {
	var out []int
	for _, e := range ex {
		out = append(out, e.Labels...)
	}
	return out
}

// TestSeedReproducible trains twice with the same seed and once with
// another: the same seed gives bit-identical weights.
func TestSeedReproducible(t *testing.T) {
	tr, va, _, labels := orderSplit()
	tr = tr[:96]
	run := func(seed int64) *rnn.Model {
		res, err := Train(context.Background(), Config{Cell: rnn.CellLSTM, Hidden: 8, Labels: labels,
			Mode: rnn.ModeManyToOne, Batch: 32, Epochs: 2, Seed: seed, ClipNorm: 1, ClassWeights: []float64{1, 2, 1, 1, 1, 3}}, tr, va[:20])
		if err != nil {
			t.Fatal(err)
		}
		return res.Model
	}
	a, b, c := run(3), run(3), run(4)
	for i := range a.HeadW {
		if a.HeadW[i] != b.HeadW[i] {
			t.Fatalf("same seed, different head weight %d: %v vs %v", i, a.HeadW[i], b.HeadW[i])
		}
	}
	same := true
	for i := range a.HeadW {
		same = same && a.HeadW[i] == c.HeadW[i]
	}
	if same {
		t.Error("different seeds gave identical weights")
	}
}
