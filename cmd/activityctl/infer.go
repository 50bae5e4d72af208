package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/activityd/activityd/rnn"
)

func runInfer(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("infer", flag.ContinueOnError)
	model := fs.String("model", "", "model file (.safetensors)")
	input := fs.String("input", "", "safetensors file holding the tensor x shaped [T, input_size]")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: activityctl infer --model M.safetensors --input X.safetensors\n\n"+
			"Runs the model's recurrent step over x from a zero state and prints one JSON\n"+
			"line per step: {\"step\": t, \"probs\": [...]}, the head's softmax on that step's\n"+
			"top-layer output, in label order. It checks a model against another\n"+
			"implementation (see docs/model-format.md).\n\n")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *model == "" || *input == "" {
		fs.Usage()
		return errors.New("--model and --input are required")
	}
	m, err := rnn.Load(*model)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(*input)
	if err != nil {
		return err
	}
	ts, _, err := rnn.ReadSafetensors(b)
	if err != nil {
		return fmt.Errorf("%s: %w", *input, err)
	}
	x, ok := ts["x"]
	if !ok {
		return fmt.Errorf("%s: no tensor named x", *input)
	}
	if len(x.Shape) != 2 || x.Shape[1] != m.InputSize {
		return fmt.Errorf("%s: x has shape %v, want [T %d]", *input, x.Shape, m.InputSize)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	s := m.NewState()
	probs := make([]float32, m.Classes())
	for t := 0; t < x.Shape[0]; t++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		m.Step(s, x.Data[t*m.InputSize:(t+1)*m.InputSize], probs)
		if err := enc.Encode(struct {
			Step  int       `json:"step"`
			Probs []float32 `json:"probs"`
		}{t, probs}); err != nil {
			return err
		}
	}
	return nil
}
