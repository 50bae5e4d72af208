package train

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/activityd/activityd/rnn"
)

// BenchmarkTrainVsTorch measures training throughput (sequences per second
// of the batch loop: forward, backward, clipping and Adam) of package train
// and of PyTorch (Debian's python3-torch, CPU) on the same data, model,
// batch size and thread count, and reports their ratio (ours / PyTorch).
//
//	go test -run '^$' -bench TrainVsTorch -benchtime 1x ./rnn/train
func BenchmarkTrainVsTorch(b *testing.B) {
	for _, c := range []struct {
		cell          rnn.Cell
		input, hidden int
	}{{rnn.CellGRU, 64, 64}, {rnn.CellLSTM, 64, 64}, {rnn.CellGRU, 256, 128}} {
		b.Run(fmt.Sprintf("%s-I%d-H%d", c.cell, c.input, c.hidden), func(b *testing.B) {
			const n, steps, batch, epochs = 512, 16, 32, 2
			ex, labels := OrderTask(n, steps, c.input, 0.8, 5)
			var ours float64
			for i := 0; i < b.N; i++ {
				res, err := Train(context.Background(), Config{Cell: c.cell, Hidden: c.hidden, Mode: rnn.ModeManyToOne,
					Labels: labels, Batch: batch, Epochs: epochs, LR: 0.01, ClipNorm: 5, Seed: 1}, ex, nil)
				if err != nil {
					b.Fatal(err)
				}
				ours = res.SeqPerSec
			}
			b.ReportMetric(ours, "seq/s")
			torch := torchTrainRate(b, ex, string(c.cell), c.hidden, batch, epochs)
			if torch > 0 {
				b.ReportMetric(torch, "torch-seq/s")
				b.ReportMetric(ours/torch, "ratio")
			}
		})
	}
}

// torchTrainRate runs bench_torch.py with as many threads as Go may use.
func torchTrainRate(b *testing.B, ex []Example, cell string, hidden, batch, epochs int) float64 {
	b.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import torch").Run(); err != nil {
		b.Logf("PyTorch comparison skipped: /usr/bin/python3 cannot import torch: %v", err)
		return 0
	}
	T, I := len(ex[0].X), len(ex[0].X[0])
	x := make([]float32, 0, len(ex)*T*I)
	y := make([]float32, len(ex))
	for k, e := range ex {
		for _, v := range e.X {
			x = append(x, v...)
		}
		y[k] = float32(e.Label)
	}
	data, err := rnn.WriteSafetensors(map[string]rnn.Tensor{"x": {Shape: []int{len(ex), T, I}, Data: x}, "y": {Shape: []int{len(ex)}, Data: y}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "data.safetensors")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", "bench_torch.py", path, cell, fmt.Sprint(hidden), fmt.Sprint(batch),
		fmt.Sprint(epochs), fmt.Sprint(runtime.GOMAXPROCS(0))).Output()
	if err != nil {
		b.Fatalf("bench_torch.py: %v", err)
	}
	var r struct {
		Rate float64 `json:"sequences_per_second"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		b.Fatal(err)
	}
	return r.Rate
}
