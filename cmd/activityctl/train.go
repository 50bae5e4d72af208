package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/features/modelstore"
	"github.com/activityd/activityd/internal/config"
	"github.com/activityd/activityd/rnn"
	"github.com/activityd/activityd/rnn/dataset"
	"github.com/activityd/activityd/rnn/report"
	"github.com/activityd/activityd/rnn/train"
)

// featureFlags are the flags shared by train and eval that say how
// features are made: the daemon's own backbone settings (--config), with
// --backbone, --feature-mode and --state-dir overriding them.
type featureFlags struct {
	config, backbone, featureMode, stateDir, cache string
	fps                                            float64
	grid                                           int
}

func (f *featureFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "daemon configuration (YAML) whose model.* backbone keys and state_dir to use")
	fs.StringVar(&f.backbone, "backbone", "", "feature backbone: descriptor, an installed backbone or an .onnx file (default: the config's model.backbone)")
	fs.StringVar(&f.featureMode, "feature-mode", "", "backbone feature mode: global, grid or map (default: the config's model.feature_mode)")
	fs.IntVar(&f.grid, "grid", 0, "cells per side in grid mode (default: the config's model.grid)")
	fs.StringVar(&f.stateDir, "state-dir", "", "where installed backbones are looked for (default: the config's state_dir)")
	fs.StringVar(&f.cache, "cache", filepath.Join("var", "cache", "features"), "feature cache folder (empty: no cache)")
	fs.Float64Var(&f.fps, "fps", 5, "analysis rate, frames per second")
}

// backboneSource is an open backbone and the extractor made from it.
type backboneSource struct {
	backbone features.Backbone
	*dataset.Extractor
}

func (b *backboneSource) Close() {
	b.Backbone.Close()
	b.backbone.Close()
}

// open opens the backbone as the daemon would and returns a caching
// extractor keyed by its name, file sha256 (an .onnx file or an installed
// backbone's), feature mode and rate.
func (f *featureFlags) open(ctx context.Context) (*backboneSource, error) {
	if f.fps <= 0 {
		return nil, fmt.Errorf("--fps must be > 0")
	}
	cfg := config.Default()
	if f.config != "" {
		var err error
		if cfg, err = config.Load(f.config); err != nil {
			return nil, err
		}
	}
	m, b := cfg.Model, cfg.Model.Features
	if f.backbone != "" {
		m.Backbone = f.backbone
	}
	if f.featureMode != "" {
		b.FeatureMode = f.featureMode
	}
	if f.grid > 0 {
		b.Grid = f.grid
	}
	if f.stateDir != "" {
		cfg.StateDir = f.stateDir
	}
	o := features.Options{
		Backbone: m.Backbone, StateDir: cfg.StateDir, Mode: b.FeatureMode, Grid: b.Grid,
		Scale: b.Scale, Mean: b.Mean, Std: b.Std, SwapRB: b.SwapRB, Outputs: b.Outputs,
		Threads: b.Threads, BatchSize: 1,
	}
	if len(b.InputSize) == 2 {
		o.Width, o.Height = b.InputSize[0], b.InputSize[1]
	}
	sha, err := rnn.BackboneSHA256(m.Backbone)
	if err != nil {
		return nil, err
	}
	mode := ""
	if m.Backbone != features.DescriptorName {
		mode = b.FeatureMode
		if mode == features.ModeGrid {
			mode = fmt.Sprintf("grid%d", b.Grid)
		}
		if sha == "" {
			if in, err := modelstore.Find(modelstore.SearchDirs(cfg.StateDir), m.Backbone); err == nil {
				if sha, err = rnn.FileSHA256(in.Path); err != nil {
					return nil, err
				}
			}
		}
	}
	bb, err := features.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	ex, err := bb.NewExtractor()
	if err != nil {
		bb.Close()
		return nil, err
	}
	return &backboneSource{backbone: bb, Extractor: &dataset.Extractor{Backbone: ex, BackboneName: bb.Name(),
		BackboneSHA256: sha, FeatureMode: mode, FPS: f.fps, CacheDir: f.cache}}, nil
}

func runTrain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	var ff featureFlags
	ff.register(fs)
	data := fs.String("data", "", "folder per class: DATA/<label>/<clip>.<ext> (many-to-one)")
	segments := fs.String("segments", "", "CSV of video,start_s,end_s,label (many-to-many)")
	ignoreBG := fs.Bool("ignore-background", false, "with --segments: leave frames outside every segment unlabelled instead of class \"background\"")
	out := fs.String("out", "model.safetensors", "where to save the best model")
	reportDir := fs.String("report", "", "report folder: curves, confusion matrix, metrics.json (default: OUT without extension + .report)")
	cell := fs.String("cell", "gru", "recurrent cell: rnn, gru or lstm")
	hidden := fs.Int("hidden", 64, "hidden size")
	layers := fs.Int("layers", 1, "stacked layers")
	head := fs.String("head", "last", "many-to-one head: last (last step's logits) or mean (mean of every step's logits)")
	window := fs.Int("window", 16, "many-to-one window, frames")
	stride := fs.Int("stride", 8, "many-to-one stride between windows, frames")
	bptt := fs.Int("bptt", 32, "many-to-many: steps per unrolled chunk (truncated BPTT)")
	val := fs.Float64("val", 0.2, "fraction of clips held out for validation")
	split := fs.String("split", "", "explicit split file: lines \"train PATH\" / \"val PATH\"")
	epochs := fs.Int("epochs", 40, "maximum epochs")
	batch := fs.Int("batch", 32, "sequences per batch")
	lr := fs.Float64("lr", 0.005, "Adam learning rate")
	clipNorm := fs.Float64("clip", 5, "clip gradients to this global L2 norm (0: off)")
	patience := fs.Int("patience", 8, "stop after this many epochs without a better validation score (0: never)")
	weights := fs.String("class-weights", "", "\"balanced\" (inverse frequency), or label=weight,... (default: all 1)")
	noNorm := fs.Bool("no-standardise", false, "do not standardise the input features")
	seed := fs.Int64("seed", 1, "seed for the split, the initial weights and the batch order")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: activityctl train (--data DIR | --segments CSV) [flags]\n\n"+
			"Extracts features once (cached), trains a recurrent classifier with Gorgonia and\n"+
			"saves the best model on validation. See docs/training.md.\n\n")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if (*data == "") == (*segments == "") {
		return errors.New("give one of --data (folder per class) or --segments (CSV)")
	}
	c := rnn.Cell(*cell)
	if c != rnn.CellRNN && c != rnn.CellGRU && c != rnn.CellLSTM {
		return fmt.Errorf("--cell %q: want rnn, gru or lstm", *cell)
	}
	if *head != string(rnn.HeadLast) && *head != string(rnn.HeadMean) {
		return fmt.Errorf("--head %q: want last or mean", *head)
	}
	if *window < 1 || *stride < 1 || *stride > *window {
		return fmt.Errorf("--window %d --stride %d: want 1 <= stride <= window", *window, *stride)
	}
	if *reportDir == "" {
		*reportDir = strings.TrimSuffix(*out, filepath.Ext(*out)) + ".report"
	}
	ex, err := ff.open(ctx)
	if err != nil {
		return err
	}
	defer ex.Close()
	term := report.IsTerminal(os.Stderr)
	set, err := dataset.Load(ctx, dataset.Source{Folders: *data, Segments: *segments, IgnoreBackground: *ignoreBG}, ex.Extractor, os.Stderr, term)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "features: %d videos, %d decoded, %d from cache (%s)\n", len(set.Items), ex.Decoded, ex.Cached, ex.CacheDir)

	isVal := make([]bool, len(set.Items))
	if *split != "" {
		sp, err := dataset.ReadSplit(*split)
		if err != nil {
			return err
		}
		for i, it := range set.Items {
			v, ok := sp[it.Path]
			if !ok {
				return fmt.Errorf("%s: %s is in neither train nor val", *split, it.Path)
			}
			isVal[i] = v
		}
	} else {
		_, vi := train.SplitByClip(len(set.Items), *val, *seed)
		for _, i := range vi {
			isVal[i] = true
		}
	}
	mode := rnn.ModeManyToOne
	if *segments != "" {
		mode = rnn.ModeManyToMany
	}
	var trainEx, valEx []train.Example
	for i, it := range set.Items {
		var exs []train.Example
		if mode == rnn.ModeManyToOne {
			exs = train.Windows(it.X, it.Label, i, *window, *stride)
		} else {
			exs = train.Chunks(it.X, it.FrameLabels, i, *bptt)
		}
		if isVal[i] {
			valEx = append(valEx, exs...)
		} else {
			trainEx = append(trainEx, exs...)
		}
	}
	if len(trainEx) == 0 {
		return errors.New("no training examples: every clip went to validation")
	}
	cw, err := classWeights(*weights, set.Labels, trainEx, mode)
	if err != nil {
		return err
	}
	cfg := train.Config{
		Cell: c, Hidden: *hidden, Layers: *layers, Mode: mode, Head: rnn.Head(*head), Labels: set.Labels,
		FPS: ff.fps, Backbone: ex.BackboneName, BackboneSHA256: ex.BackboneSHA256, FeatureMode: ex.FeatureMode,
		Standardise: !*noNorm, Batch: *batch, Epochs: *epochs, LR: *lr, ClipNorm: *clipNorm, ClassWeights: cw,
		Patience: *patience, Seed: *seed,
	}
	if mode == rnn.ModeManyToOne {
		cfg.Window, cfg.Stride = *window, *stride
	}
	fmt.Fprintf(os.Stderr, "training %s-%d x%d %s on %d examples, validating on %d\n", c, *hidden, *layers, mode, len(trainEx), len(valEx))
	var prog *report.Progress
	cfg.Progress = func(epoch, b, nb int, loss float64) {
		if b == 1 {
			prog = report.NewProgress(os.Stderr, term, fmt.Sprintf("epoch %d", epoch), nb)
		}
		prog.Add(1, fmt.Sprintf("loss %.4f", loss))
	}
	cfg.EpochDone = func(s train.EpochStats) {
		fmt.Fprintf(os.Stderr, "epoch %d: train loss %.4f acc %.3f, val loss %.4f acc %.3f, grad norm %.3g (%.1fs)\n",
			s.Epoch, s.TrainLoss, s.TrainAcc, s.ValLoss, s.ValAcc, s.GradNorm, s.Seconds)
	}
	start := time.Now()
	res, err := train.Train(ctx, cfg, trainEx, valEx)
	if err != nil {
		return err
	}
	if err := res.Model.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "saved %s (best epoch %d, %.0f sequences/s, %s)\n", *out, res.BestEpoch, res.SeqPerSec, time.Since(start).Round(time.Second))
	evalEx := valEx
	if len(evalEx) == 0 {
		evalEx = trainEx
	}
	return writeTrainReport(*reportDir, res, evalEx, cfg)
}

// classWeights parses --class-weights.
func classWeights(spec string, labels []string, ex []train.Example, mode rnn.Mode) ([]float64, error) {
	if spec == "" {
		return nil, nil
	}
	w := make([]float64, len(labels))
	if spec == "balanced" {
		count := make([]float64, len(labels))
		total := 0.0
		for _, e := range ex {
			if mode == rnn.ModeManyToOne {
				count[e.Label]++
				total++
				continue
			}
			for _, l := range e.Labels {
				if l >= 0 {
					count[l]++
					total++
				}
			}
		}
		for i, c := range count {
			w[i] = 1
			if c > 0 {
				w[i] = total / (float64(len(labels)) * c)
			}
		}
		return w, nil
	}
	for i := range w {
		w[i] = 1
	}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(kv, "=")
		f, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil || f < 0 {
			return nil, fmt.Errorf("--class-weights: %q is not label=weight", kv)
		}
		found := false
		for i, l := range labels {
			if l == k {
				w[i], found = f, true
			}
		}
		if !found {
			return nil, fmt.Errorf("--class-weights: unknown label %q", k)
		}
	}
	return w, nil
}

// writeTrainReport writes the curves, the validation confusion matrix and
// metrics.json.
func writeTrainReport(dir string, res *train.Result, ex []train.Example, cfg train.Config) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var tl, vl, ta, va []float64
	for _, h := range res.History {
		tl, vl, ta, va = append(tl, h.TrainLoss), append(vl, h.ValLoss), append(ta, h.TrainAcc), append(va, h.ValAcc)
	}
	if err := report.LinePlot(filepath.Join(dir, "loss.png"), "loss", []report.Series{{Name: "train", Values: tl}, {Name: "validation", Values: vl}}); err != nil {
		return err
	}
	if err := report.LinePlot(filepath.Join(dir, "accuracy.png"), "accuracy", []report.Series{{Name: "train", Values: ta}, {Name: "validation", Values: va}}); err != nil {
		return err
	}
	conf := report.NewConfusion(cfg.Labels)
	for _, p := range train.Predict(res.Model, ex) {
		if p.Target >= 0 {
			conf.Add(p.Target, p.Pred)
		}
	}
	if err := report.ConfusionPNG(filepath.Join(dir, "confusion.png"), conf); err != nil {
		return err
	}
	m := map[string]any{
		"best_epoch":           res.BestEpoch,
		"history":              res.History,
		"sequences_per_second": res.SeqPerSec,
		"validation": map[string]any{
			"accuracy": conf.Accuracy(), "macro_f1": conf.MacroF1(), "per_class": conf.PerClass(), "confusion": conf,
		},
		"config": map[string]any{
			"cell": cfg.Cell, "hidden": cfg.Hidden, "layers": cfg.Layers, "mode": cfg.Mode, "head": cfg.Head,
			"window": cfg.Window, "stride": cfg.Stride, "fps": cfg.FPS, "backbone": cfg.Backbone,
			"batch": cfg.Batch, "epochs": cfg.Epochs, "lr": cfg.LR, "clip": cfg.ClipNorm, "class_weights": cfg.ClassWeights,
			"patience": cfg.Patience, "seed": cfg.Seed,
		},
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "metrics.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report in %s: validation accuracy %.3f, macro F1 %.3f\n", dir, conf.Accuracy(), conf.MacroF1())
	return nil
}
