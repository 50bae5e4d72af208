package config

import (
	"strings"
	"testing"
	"time"
)

func TestBackboneKeys(t *testing.T) {
	cfg, err := Parse([]byte(`
model:
  backbone: /models/resnet.onnx
  feature_mode: grid
  grid: 3
  input_size: [256, 192]
  scale: 0.017
  mean: [123.7, 116.3, 103.5]
  std: [1, 1, 1]
  swap_rb: false
  outputs: [pool, layer3]
  threads: 2
  batch_size: 4
  batch_wait: 8ms
  engine: opencv
`))
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Model.Features
	if b.FeatureMode != "grid" || b.Grid != 3 || b.InputSize[0] != 256 || b.Scale != 0.017 || b.Mean[2] != 103.5 ||
		b.SwapRB == nil || *b.SwapRB || b.Outputs[1] != "layer3" || b.Threads != 2 || b.BatchSize != 4 || b.BatchWait != 8*time.Millisecond || b.Engine != "opencv" {
		t.Errorf("decoded %+v", b)
	}
	def := Default().Model.Features
	if def.FeatureMode != "global" || def.Grid != 2 || def.BatchSize != 1 || def.BatchWait != 5*time.Millisecond {
		t.Errorf("defaults %+v", def)
	}
}

func TestBadBackboneKeys(t *testing.T) {
	cases := map[string][]string{
		"model: {feature_mode: pooled}":                     {"model.feature_mode", `"pooled"`},
		"model: {grid: 0}":                                  {"model.grid", "between 1 and 64"},
		"model: {backbone: x.onnx, outputs: [a]}":           {"model.input_size", "required"},
		"model: {backbone: x.onnx, input_size: [224, 224]}": {"model.outputs", "required"},
		"model: {input_size: [224]}":                        {"model.input_size", "[width, height]"},
		"model: {std: [1, 0, 1]}":                           {"model.std", "zero"},
		"model: {mean: [1, 2]}":                             {"model.mean", "three"},
		"model: {batch_size: 0}":                            {"model.batch_size", "between 1 and 64"},
		"model: {batch_wait: 5s}":                           {"model.batch_wait", "1s"},
		"model: {threads: -1}":                              {"model.threads"},
		"model: {scale: -1}":                                {"model.scale"},
		"model: {engine: tensorflow}":                       {"model.engine", `"tensorflow"`},
		"model: {sessions: -1}":                             {"model.sessions"},
	}
	for yml, want := range cases {
		_, err := Parse([]byte(yml))
		if err == nil {
			t.Errorf("%s: accepted", yml)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", yml, err, w)
			}
		}
	}
}
