package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/activityd/activityd/rnn"
	"github.com/activityd/activityd/rnn/dataset"
	"github.com/activityd/activityd/rnn/report"
	"github.com/activityd/activityd/rnn/train"
	"github.com/activityd/activityd/synth"
)

// trial is one trained configuration and its held-out results.
type trial struct {
	Mode     string  `json:"feature_mode"`
	Dim      int     `json:"features"`
	Cell     string  `json:"cell"`
	Hidden   int     `json:"hidden"`
	Motion   int     `json:"motion_directions"`
	Trend    float64 `json:"motion_trend_frames,omitempty"`
	Spin     int     `json:"motion_spin_planes,omitempty"`
	Seconds  float64 `json:"training_seconds"`
	Best     int     `json:"best_epoch"`
	Model    scores  `json:"model"`
	Baseline scores  `json:"baseline"`

	res  *train.Result
	cfg  train.Config
	data *sets
}

func (t *trial) score() float64 { return t.Model.ClipAcc + t.Model.FrameAcc }

func run(ctx context.Context, o options) error {
	var trials []*trial
	for _, mode := range o.modeList {
		s, err := load(ctx, o, mode)
		if err != nil {
			return err
		}
		if o.probe {
			probe(s)
			continue
		}
		t, err := fit(ctx, o, s, o.cell)
		if err != nil {
			return err
		}
		trials = append(trials, t)
	}
	if o.probe {
		return nil
	}
	if len(trials) == 0 {
		return errors.New("no feature modes")
	}
	best := trials[0]
	for _, t := range trials[1:] {
		if t.score() > best.score() {
			best = t
		}
	}
	fmt.Fprintf(os.Stderr, "best: %s %s-%d\n", best.Mode, best.Cell, best.Hidden)
	if o.compareOnly {
		return nil
	}
	return write(o, best, trials)
}

// fit trains one model on s and scores it and the baseline.
func fit(ctx context.Context, o options, s *sets, cell string) (*trial, error) {
	// Training items: every training clip and scripted video; a seeded
	// sixth of them is held out for validation (early stopping). The test
	// clips and scripted videos are never seen.
	items := append(append([]dataset.Item(nil), s.clipsTrain.Items...), s.scrTrain.Items...)
	_, vi := train.SplitByClip(len(items), 1.0/6, o.seed)
	isVal := map[int]bool{}
	for _, i := range vi {
		isVal[i] = true
	}
	var trItems []dataset.Item
	for i, it := range items {
		if !isVal[i] {
			trItems = append(trItems, it)
		}
	}
	hidden := o.hidden
	var motion rnn.Layer
	var mean, std []float32
	if o.motion > 0 {
		mean, std = rawStandardisation(trItems, s.dim)
		lda := 0
		if o.lda {
			lda = len(s.labels)
		}
		spin := spinSpec{planes: o.spin, cw: slices.Index(s.labels, synth.RotateCW), ccw: slices.Index(s.labels, synth.RotateCCW)}
		motion = motionLayer(trItems, mean, std, o.motion, lda, o.seed, o.trend, spin)
		hidden = len(motion.Bih) / 3
		items = motionOutputs(items, motion, mean, std, s.labels, o.seeA)
	}
	var tr, va []train.Example
	for i, it := range items {
		ex := examples([]dataset.Item{it}, o.bptt, i)
		if isVal[i] {
			va = append(va, ex...)
		} else {
			tr = append(tr, ex...)
		}
	}
	cfg := train.Config{
		Cell: rnn.Cell(cell), Hidden: hidden, Layers: 1, Mode: rnn.ModeManyToMany, Labels: s.labels,
		FPS: o.fps, Backbone: backboneName, BackboneSHA256: s.backboneSHA, FeatureMode: s.mode,
		Standardise: true, Batch: 32, Epochs: o.epochs, LR: o.lr, ClipNorm: 5, Patience: 6, Seed: o.seed,
	}
	cfg.EpochDone = func(st train.EpochStats) {
		fmt.Fprintf(os.Stderr, "%s %s: epoch %d: train loss %.4f acc %.3f, val loss %.4f acc %.3f (%.1fs)\n",
			s.mode, cell, st.Epoch, st.TrainLoss, st.TrainAcc, st.ValLoss, st.ValAcc, st.Seconds)
	}
	fmt.Fprintf(os.Stderr, "%s: training %s-%d (motion layer: %d directions) on %d sequences of %d steps, validating on %d\n", s.mode, cell, hidden, o.motion, len(tr), o.bptt, len(va))
	start := time.Now()
	res, err := train.Train(ctx, cfg, tr, va)
	if err != nil {
		return nil, err
	}
	if o.motion > 0 {
		res.Model = compose(motion, mean, std, res.Model, o.seeA)
	}
	res.Model.Name = "default"
	t := &trial{Mode: s.mode, Dim: s.dim, Cell: cell, Hidden: hidden, Motion: o.motion, Trend: o.trend, Spin: o.spin, Seconds: time.Since(start).Seconds(), Best: res.BestEpoch,
		res: res, cfg: cfg, data: s}
	t.Model = evalModel(res.Model, s)
	t.Baseline = runBaseline(s)
	fmt.Fprintf(os.Stderr, "%s %s-%d: %.0fs; held out: clips %.3f (last frame %.3f), frames %.3f (all %.3f); baseline clips %.3f, frames %.3f\n",
		s.mode, cell, hidden, t.Seconds, t.Model.ClipAcc, t.Model.ClipAccLast, t.Model.FrameAcc, t.Model.FrameAccAll,
		t.Baseline.ClipAcc, t.Baseline.FrameAcc)
	return t, nil
}

// write saves the chosen model and its report in o.out.
func write(o options, best *trial, trials []*trial) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(o.out, "model.safetensors")
	if err := best.res.Model.Save(path); err != nil {
		return err
	}
	var tl, vl, ta, va []float64
	for _, h := range best.res.History {
		tl, vl, ta, va = append(tl, h.TrainLoss), append(vl, h.ValLoss), append(ta, h.TrainAcc), append(va, h.ValAcc)
	}
	if err := report.LinePlot(filepath.Join(o.out, "loss.png"), "loss per frame", []report.Series{{Name: "train", Values: tl}, {Name: "validation", Values: vl}}); err != nil {
		return err
	}
	if err := report.LinePlot(filepath.Join(o.out, "accuracy.png"), "accuracy per frame", []report.Series{{Name: "train", Values: ta}, {Name: "validation", Values: va}}); err != nil {
		return err
	}
	if err := report.ConfusionPNG(filepath.Join(o.out, "confusion.png"), best.Model.Frames); err != nil {
		return err
	}
	if err := report.ConfusionPNG(filepath.Join(o.out, "confusion-clips.png"), best.Model.Clips); err != nil {
		return err
	}
	if err := report.ConfusionPNG(filepath.Join(o.out, "confusion-baseline.png"), best.Baseline.Clips); err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	s := best.data
	m := map[string]any{
		"args":        os.Args[1:],
		"model":       map[string]any{"file": "model.safetensors", "bytes": st.Size(), "cell": best.Cell, "hidden": best.Hidden, "feature_mode": best.Mode, "features": best.Dim, "labels": s.labels},
		"backbone":    map[string]any{"name": backboneName, "sha256": s.backboneSHA},
		"chosen":      best,
		"trials":      trials,
		"history":     best.res.History,
		"best_epoch":  best.res.BestEpoch,
		"pairs":       pairs(best),
		"settle_s":    settle,
		"data":        map[string]int{"clips_train": len(s.clipsTrain.Items), "clips_test": len(s.clipsTest.Items), "scripted_train": len(s.scrTrain.Items), "scripted_test": len(s.scrTest.Items)},
		"config":      map[string]any{"fps": o.fps, "grid": o.grid, "bptt": o.bptt, "epochs": o.epochs, "lr": o.lr, "batch": best.cfg.Batch, "clip": best.cfg.ClipNorm, "patience": best.cfg.Patience, "seed": o.seed},
		"sequences_s": best.res.SeqPerSec,
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(o.out, "metrics.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s (%d bytes) and its report\n", path, st.Size())
	return nil
}

// pairs measures, for each pair of opposite activities, how often the
// model and the baseline take one for the other (held-out clips).
func pairs(t *trial) []map[string]any {
	idx := map[string]int{}
	for i, l := range t.data.labels {
		idx[l] = i
	}
	var out []map[string]any
	for _, p := range [][2]string{{"move_left", "move_right"}, {"move_up", "move_down"}, {"approach", "recede"}, {"rotate_cw", "rotate_ccw"}} {
		a, b := idx[p[0]], idx[p[1]]
		row := map[string]any{"pair": p[0] + "/" + p[1]}
		for name, c := range map[string]*report.Confusion{"model": t.Model.Clips, "baseline": t.Baseline.Clips} {
			n := c.M[a][a] + c.M[a][b] + c.M[b][a] + c.M[b][b]
			tot := sum(c.M[a]) + sum(c.M[b])
			row[name] = map[string]any{
				"accuracy": float64(c.M[a][a]+c.M[b][b]) / float64(max(tot, 1)),
				"swapped":  float64(c.M[a][b]+c.M[b][a]) / float64(max(tot, 1)),
				"within":   n,
			}
		}
		out = append(out, row)
	}
	return out
}

func sum(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}
