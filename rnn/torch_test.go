package rnn

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// debianPython is Debian's interpreter, the one python3-torch installs for.
const debianPython = "/usr/bin/python3"

// torchRef runs testdata/torch_ref.py over jobs in one interpreter (torch
// takes seconds to import) and returns each job's per-step softmax. It
// skips the test when torch is not importable.
func torchRef(t *testing.T, jobs []map[string]any) [][][]float32 {
	t.Helper()
	in, _ := json.Marshal(jobs)
	cmd := exec.Command(debianPython, "testdata/torch_ref.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.Is(err, exec.ErrNotFound) || (errors.As(err, &ee) && ee.ExitCode() == 3) || os.IsNotExist(err) {
		t.Skipf("PyTorch parity NOT checked: %s cannot import torch (apt-get install python3-torch): %v %s",
			debianPython, err, stderr.String())
	}
	if err != nil {
		t.Fatalf("torch_ref.py: %v\n%s", err, stderr.String())
	}
	var res [][][]float32
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("torch_ref.py output: %v", err)
	}
	return res
}

func maxDiff(t *testing.T, got, want [][]float32) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d steps, want %d", len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		for j := range got[i] {
			worst = math.Max(worst, math.Abs(float64(got[i][j]-want[i][j])))
		}
	}
	return worst
}

func readX(t *testing.T, path string) [][]float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ts, _, err := ReadSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	x := ts["x"]
	xs := make([][]float32, x.Shape[0])
	for i := range xs {
		xs[i] = x.Data[i*x.Shape[1] : (i+1)*x.Shape[1]]
	}
	return xs
}

// TestTorchParity checks both directions against PyTorch's nn.RNN, nn.GRU
// and nn.LSTM with nn.Linear (Debian's python3-torch): our file run by
// PyTorch, and PyTorch's file run by us, each within 1e-5 of the other's
// per-step softmax.
func TestTorchParity(t *testing.T) {
	dir := t.TempDir()
	cells := []Cell{CellRNN, CellGRU, CellLSTM}
	var jobs []map[string]any
	ours := map[Cell][][]float32{}
	for _, cell := range cells {
		m := NewRandom(cell, 24, 16, 2, []string{"a", "b", "c", "d"}, 21)
		m.Mean, m.Std = make([]float32, 24), make([]float32, 24)
		for i := range m.Mean {
			m.Mean[i], m.Std[i] = float32(i%5)*0.1, 0.5+float32(i%3)
		}
		r := rand.New(rand.NewSource(4))
		xs := make([][]float32, 23)
		flat := make([]float32, 0, 23*24)
		for i := range xs {
			xs[i] = make([]float32, 24)
			for j := range xs[i] {
				xs[i][j] = float32(r.NormFloat64())
			}
			flat = append(flat, xs[i]...)
		}
		mp, xp := filepath.Join(dir, string(cell)+".safetensors"), filepath.Join(dir, string(cell)+"-x.safetensors")
		if err := m.Save(mp); err != nil {
			t.Fatal(err)
		}
		xb, _ := WriteSafetensors(map[string]Tensor{"x": {Shape: []int{23, 24}, Data: flat}}, nil)
		if err := os.WriteFile(xp, xb, 0o644); err != nil {
			t.Fatal(err)
		}
		ours[cell] = m.Sequence(xs)
		jobs = append(jobs, map[string]any{"op": "run", "model": mp, "x": xp},
			map[string]any{"op": "make", "cell": cell, "input": 20, "hidden": 12, "layers": 2, "classes": 5, "seed": 7,
				"model": filepath.Join(dir, string(cell)+"-torch.safetensors"), "x": filepath.Join(dir, string(cell)+"-tx.safetensors")})
	}
	res := torchRef(t, jobs)
	for i, cell := range cells {
		d1 := maxDiff(t, ours[cell], res[2*i])
		tm, err := Load(jobs[2*i+1]["model"].(string))
		if err != nil {
			t.Fatal(err)
		}
		d2 := maxDiff(t, tm.Sequence(readX(t, jobs[2*i+1]["x"].(string))), res[2*i+1])
		t.Logf("%s: max |probs difference|: our file in PyTorch %.2g, PyTorch's file here %.2g", cell, d1, d2)
		if d1 > 1e-5 || d2 > 1e-5 {
			t.Errorf("%s: differences %.2g and %.2g exceed 1e-5", cell, d1, d2)
		}
	}
}

// TestTorchGolden runs models that PyTorch saved (rnn/testdata, made by
// torch_ref.py) and compares with the probabilities PyTorch computed then,
// so the check holds where python3-torch is not installed.
func TestTorchGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/torch-golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden map[string][][]float32
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	for name, want := range golden {
		m, err := Load(filepath.Join("testdata", name+".safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		d := maxDiff(t, m.Sequence(readX(t, filepath.Join("testdata", name+"-x.safetensors"))), want)
		t.Logf("%s: max |probs difference| from PyTorch %.2g", name, d)
		if d > 1e-5 {
			t.Errorf("%s differs from PyTorch by %.2g", name, d)
		}
	}
}
