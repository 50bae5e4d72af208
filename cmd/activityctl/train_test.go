package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/activityd/activityd/rnn"
)

// writeSweep writes an MJPEG AVI of a bright square sweeping across a dark
// frame, left to right or back. Both directions visit the same places, so
// only the order of the frames tells them apart.
func writeSweep(t *testing.T, path string, leftToRight bool, frames int, jitter int) {
	t.Helper()
	const W, H = 64, 48
	vw, err := gocv.VideoWriterFile(path, "MJPG", 10, W, H, true)
	if err != nil {
		t.Fatal(err)
	}
	defer vw.Close()
	img := gocv.NewMatWithSize(H, W, gocv.MatTypeCV8UC3)
	defer img.Close()
	for i := 0; i < frames; i++ {
		img.SetTo(gocv.NewScalar(20, 20, 20, 0))
		x := 2 + (W-16)*i/(frames-1)
		if !leftToRight {
			x = W - 14 - (W-16)*i/(frames-1)
		}
		y := 12 + jitter
		gocv.Rectangle(&img, image.Rect(x, y, x+12, y+12), color.RGBA{230, 230, 60, 0}, -1)
		if err := vw.Write(img); err != nil {
			t.Fatal(err)
		}
	}
}

// captureStderr runs f with os.Stderr going to a buffer.
func captureStderr(t *testing.T, f func() error) (string, error) {
	t.Helper()
	r, w, _ := os.Pipe()
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, r)
		done <- b.String()
	}()
	err := f()
	os.Stderr = old
	w.Close()
	return <-done, err
}

// TestTrainEvalInfer runs the whole user path on real videos: train a
// many-to-one GRU from a folder per class (features decoded with GoCV and
// cached), train again (nothing decoded), evaluate, and infer.
func TestTrainEvalInfer(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	for _, cls := range []string{"left", "right"} {
		if err := os.MkdirAll(filepath.Join(data, cls), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 8; i++ {
			writeSweep(t, filepath.Join(data, cls, fmt.Sprintf("clip%02d.avi", i)), cls == "left", 20, i%5)
		}
	}
	model := filepath.Join(dir, "m.safetensors")
	cache := filepath.Join(dir, "cache")
	args := []string{"--data", data, "--out", model, "--cache", cache, "--fps", "10", "--cell", "gru", "--hidden", "16",
		"--window", "8", "--stride", "4", "--epochs", "30", "--lr", "0.02", "--val", "0.25", "--seed", "3", "--class-weights", "balanced"}
	log, err := captureStderr(t, func() error { return runTrain(context.Background(), args) })
	if err != nil {
		t.Fatalf("train: %v\n%s", err, log)
	}
	t.Logf("train:\n%s", log)
	if !strings.Contains(log, "16 decoded, 0 from cache") {
		t.Errorf("first run did not decode every video:\n%s", log)
	}
	for _, f := range []string{"loss.png", "accuracy.png", "confusion.png", "metrics.json"} {
		if st, err := os.Stat(filepath.Join(dir, "m.report", f)); err != nil || st.Size() == 0 {
			t.Errorf("report file %s: %v", f, err)
		}
	}
	m, err := rnn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if m.Mode != rnn.ModeManyToOne || m.Window != 8 || m.Stride != 4 || m.FPS != 10 || m.Backbone != "descriptor" || m.Mean == nil {
		t.Errorf("model metadata: mode %s window %d stride %d fps %v backbone %q norm %v", m.Mode, m.Window, m.Stride, m.FPS, m.Backbone, m.Mean != nil)
	}

	log, err = captureStderr(t, func() error {
		return runTrain(context.Background(), append(args, "--out", filepath.Join(dir, "m2.safetensors"), "--epochs", "1"))
	})
	if err != nil {
		t.Fatalf("second train: %v\n%s", err, log)
	}
	if !strings.Contains(log, "0 decoded, 16 from cache") {
		t.Errorf("second run decoded videos:\n%s", log)
	}

	// Evaluate on fresh clips.
	test := filepath.Join(dir, "test")
	for _, cls := range []string{"left", "right"} {
		_ = os.MkdirAll(filepath.Join(test, cls), 0o755)
		for i := 0; i < 4; i++ {
			writeSweep(t, filepath.Join(test, cls, fmt.Sprintf("t%d.avi", i)), cls == "left", 24, (i+2)%5)
		}
	}
	rep := filepath.Join(dir, "eval")
	out, err := captureStdout(t, func() error {
		return runEval(context.Background(), []string{"--model", model, "--data", test, "--cache", cache, "--report", rep})
	})
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	var res evalResult
	b, err := os.ReadFile(filepath.Join(rep, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	t.Logf("eval:\n%s", out)
	if res.Clips != 8 || res.ClipAccuracy < 0.99 {
		t.Errorf("eval on fresh clips: %d clips, accuracy %.3f, want 8 and 1", res.Clips, res.ClipAccuracy)
	}

	// Infer over the features of one clip.
	xs := make([]float32, 0, 5*m.InputSize)
	for i := 0; i < 5; i++ {
		for j := 0; j < m.InputSize; j++ {
			xs = append(xs, float32((i+j)%7)/7)
		}
	}
	xb, _ := rnn.WriteSafetensors(map[string]rnn.Tensor{"x": {Shape: []int{5, m.InputSize}, Data: xs}}, nil)
	xp := filepath.Join(dir, "x.safetensors")
	_ = os.WriteFile(xp, xb, 0o644)
	out, err = captureStdout(t, func() error { return runInfer(context.Background(), []string{"--model", model, "--input", xp}) })
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("infer printed %d lines, want 5:\n%s", len(lines), out)
	}
	want := m.Sequence(func() [][]float32 {
		v := make([][]float32, 5)
		for i := range v {
			v[i] = xs[i*m.InputSize : (i+1)*m.InputSize]
		}
		return v
	}())
	for i, l := range lines {
		var rec struct {
			Step  int       `json:"step"`
			Probs []float32 `json:"probs"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Step != i || len(rec.Probs) != 2 || rec.Probs[0] != want[i][0] || rec.Probs[1] != want[i][1] {
			t.Errorf("infer line %d: %s, want step %d probs %v", i, l, i, want[i])
		}
	}
}

func captureStdout(t *testing.T, f func() error) (string, error) {
	t.Helper()
	r, w, _ := os.Pipe()
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, r)
		done <- b.String()
	}()
	err := f()
	os.Stdout = old
	w.Close()
	return <-done, err
}

// writeBackAndForth writes a video whose square sweeps right for the first
// `cut` frames and then back left, at 10 fps.
func writeBackAndForth(t *testing.T, path string, frames, cut, jitter int) {
	t.Helper()
	const W, H = 64, 48
	vw, err := gocv.VideoWriterFile(path, "MJPG", 10, W, H, true)
	if err != nil {
		t.Fatal(err)
	}
	defer vw.Close()
	img := gocv.NewMatWithSize(H, W, gocv.MatTypeCV8UC3)
	defer img.Close()
	x := 2
	for i := 0; i < frames; i++ {
		img.SetTo(gocv.NewScalar(20, 20, 20, 0))
		gocv.Rectangle(&img, image.Rect(x, 12+jitter, x+12, 24+jitter), color.RGBA{230, 230, 60, 0}, -1)
		if err := vw.Write(img); err != nil {
			t.Fatal(err)
		}
		if i < cut {
			x = min(x+3, W-14)
		} else {
			x = max(x-3, 2)
		}
	}
}

// TestTrainSegments trains a many-to-many model from a segment CSV (frames
// outside every segment are background) and evaluates it per frame.
func TestTrainSegments(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("video,start_s,end_s,label\n")
	for i := 0; i < 10; i++ {
		name := fmt.Sprintf("v%02d.avi", i)
		cut := 8 + i%5
		writeBackAndForth(t, filepath.Join(dir, name), 26, cut, i%4)
		// 0.2 s of background at the start.
		fmt.Fprintf(&csv, "%s,0.2,%.1f,right\n%s,%.1f,2.6,left\n", name, float64(cut)/10, name, float64(cut)/10)
	}
	segs := filepath.Join(dir, "segments.csv")
	if err := os.WriteFile(segs, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "m2m.safetensors")
	cache := filepath.Join(dir, "cache")
	log, err := captureStderr(t, func() error {
		return runTrain(context.Background(), []string{"--segments", segs, "--out", model, "--cache", cache, "--fps", "10",
			"--cell", "lstm", "--hidden", "16", "--bptt", "12", "--epochs", "40", "--lr", "0.02", "--val", "0.2", "--seed", "2"})
	})
	if err != nil {
		t.Fatalf("train: %v\n%s", err, log)
	}
	m, err := rnn.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if m.Mode != rnn.ModeManyToMany || strings.Join(m.Labels, ",") != "left,right,background" {
		t.Errorf("mode %s labels %v", m.Mode, m.Labels)
	}
	rep := filepath.Join(dir, "eval")
	out, err := captureStdout(t, func() error {
		return runEval(context.Background(), []string{"--model", model, "--segments", segs, "--cache", cache, "--report", rep})
	})
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	t.Logf("eval:\n%s", out)
	var res evalResult
	b, _ := os.ReadFile(filepath.Join(rep, "metrics.json"))
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.FrameAccuracy == nil || *res.FrameAccuracy < 0.8 {
		t.Errorf("per-frame accuracy %v, want >= 0.8", res.FrameAccuracy)
	}
}
