package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/activityd/activityd/rnn"
	"github.com/activityd/activityd/rnn/dataset"
	"github.com/activityd/activityd/rnn/report"
)

// evalResult is what eval measures; it is also written as metrics.json.
type evalResult struct {
	Model         string                `json:"model"`
	Clips         int                   `json:"clips"`
	ClipAccuracy  float64               `json:"clip_accuracy"`
	FrameAccuracy *float64              `json:"frame_accuracy,omitempty"`
	MacroF1       float64               `json:"macro_f1"`
	PerClass      []report.ClassMetrics `json:"per_class"`
	Confusion     *report.Confusion     `json:"confusion"`
	ClipConfusion *report.Confusion     `json:"clip_confusion"`
}

func runEval(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	var ff featureFlags
	ff.register(fs)
	model := fs.String("model", "", "model file (.safetensors)")
	data := fs.String("data", "", "folder per class DATA/<label>/<clip>.<ext>")
	segments := fs.String("segments", "", "CSV of video,start_s,end_s,label (per-frame accuracy)")
	ignoreBG := fs.Bool("ignore-background", false, "with --segments: skip frames outside every segment")
	reportDir := fs.String("report", "", "also write metrics.json and confusion.png here")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: activityctl eval --model M (--data DIR | --segments CSV) [flags]\n\n"+
			"Clip accuracy, per-frame accuracy (many-to-many), per-class precision/recall/F1\n"+
			"and the confusion matrix. --backbone and --fps default to the model's.\n\n")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *model == "" || (*data == "") == (*segments == "") {
		fs.Usage()
		return errors.New("--model and one of --data or --segments are required")
	}
	m, err := rnn.Load(*model)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["fps"] && m.FPS > 0 {
		ff.fps = m.FPS
	}
	if !set["backbone"] && !set["config"] && m.Backbone != "" {
		ff.backbone = m.Backbone
	}
	if !set["feature-mode"] && !set["config"] && m.FeatureMode != "" {
		// The model records grid mode with its size, as "grid2".
		ff.featureMode = strings.TrimRight(m.FeatureMode, "0123456789")
		if n, err := strconv.Atoi(strings.TrimPrefix(m.FeatureMode, ff.featureMode)); err == nil && !set["grid"] {
			ff.grid = n
		}
	}
	ex, err := ff.open(ctx)
	if err != nil {
		return err
	}
	defer ex.Close()
	if err := m.CheckBackbone(ex.BackboneName, ex.Backbone.Dim(), ex.BackboneSHA256); err != nil {
		return err
	}
	ds, err := dataset.Load(ctx, dataset.Source{Folders: *data, Segments: *segments, IgnoreBackground: *ignoreBG, Labels: m.Labels},
		ex.Extractor, os.Stderr, report.IsTerminal(os.Stderr))
	if err != nil {
		return err
	}
	res := evaluate(m, ds)
	res.Model = *model
	printEval(os.Stdout, res)
	if *reportDir != "" {
		if err := os.MkdirAll(*reportDir, 0o755); err != nil {
			return err
		}
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(filepath.Join(*reportDir, "metrics.json"), append(b, '\n'), 0o644); err != nil {
			return err
		}
		if err := report.ConfusionPNG(filepath.Join(*reportDir, "confusion.png"), res.Confusion); err != nil {
			return err
		}
	}
	return nil
}

// evaluate scores m on every item: a clip's class is the argmax of its
// mean window (or frame) distribution; many-to-many data is also scored
// per labelled frame, and then the confusion matrix is per frame.
func evaluate(m *rnn.Model, ds *dataset.Set) *evalResult {
	clip := report.NewConfusion(m.Labels)
	frame := report.NewConfusion(m.Labels)
	perFrame := false
	for _, it := range ds.Items {
		clip.Add(it.Label, rnn.Argmax(m.ClipProbs(it.X)))
		if it.FrameLabels == nil {
			continue
		}
		perFrame = true
		if m.IsManyToOne() {
			// A window's label applies to its last frame.
			w := rnn.NewWindower(m)
			p := make([]float32, m.Classes())
			for t, x := range it.X {
				if w.Push(x, p) && it.FrameLabels[t] >= 0 {
					frame.Add(it.FrameLabels[t], rnn.Argmax(p))
				}
			}
			continue
		}
		for t, p := range m.Sequence(it.X) {
			if it.FrameLabels[t] >= 0 {
				frame.Add(it.FrameLabels[t], rnn.Argmax(p))
			}
		}
	}
	r := &evalResult{Clips: len(ds.Items), ClipAccuracy: clip.Accuracy(), ClipConfusion: clip, Confusion: clip}
	if perFrame {
		a := frame.Accuracy()
		r.FrameAccuracy, r.Confusion = &a, frame
	}
	r.PerClass, r.MacroF1 = r.Confusion.PerClass(), r.Confusion.MacroF1()
	return r
}

func printEval(w io.Writer, r *evalResult) {
	fmt.Fprintf(w, "clips: %d\nclip accuracy: %.4f\n", r.Clips, r.ClipAccuracy)
	unit := "clip"
	if r.FrameAccuracy != nil {
		fmt.Fprintf(w, "per-frame accuracy: %.4f\n", *r.FrameAccuracy)
		unit = "frame"
	}
	fmt.Fprintf(w, "\nper class (%s level):\n%-16s %9s %9s %9s %8s\n", unit, "label", "precision", "recall", "f1", "support")
	for _, c := range r.PerClass {
		fmt.Fprintf(w, "%-16s %9.4f %9.4f %9.4f %8d\n", c.Label, c.Precision, c.Recall, c.F1, c.Support)
	}
	fmt.Fprintf(w, "macro F1: %.4f\n\nconfusion (rows true, columns predicted):\n%-16s", r.MacroF1, "")
	for _, l := range r.Confusion.Labels {
		fmt.Fprintf(w, " %8s", trunc(l, 8))
	}
	fmt.Fprintln(w)
	for i, row := range r.Confusion.M {
		fmt.Fprintf(w, "%-16s", trunc(r.Confusion.Labels[i], 16))
		for _, v := range row {
			fmt.Fprintf(w, " %8d", v)
		}
		fmt.Fprintln(w)
	}
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
