package features

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"gocv.io/x/gocv"

	"github.com/activityd/activityd/features/modelstore"
)

// synthImage must stay identical to synthImage in scripts/tfjs-golden.cjs:
// integer arithmetic only, RGB bytes in row-major HWC order.
func synthImage(seed, size int) []byte {
	px := make([]byte, size*size*3)
	s := uint32(seed) * 2654435761
	cx, cy, r := 40+seed*53%140, 60+seed*37%100, 30+seed*11%40
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			s = s*1664525 + 1013904223
			noise := int(s>>27) - 16
			inside := (x-cx)*(x-cx)+(y-cy)*(y-cy) < r*r
			stripe := ((x + 2*y + seed*7) >> 4) & 1
			v := [3]int{x * 255 / (size - 1), y * 255 / (size - 1), 40}
			if stripe == 1 {
				v[2] = 200
			}
			if inside {
				v = [3]int{255 - v[1], 64 + seed*50%128, v[0]}
			}
			for c := 0; c < 3; c++ {
				px[(y*size+x)*3+c] = byte(min(255, max(0, v[c]+noise)))
			}
		}
	}
	return px
}

// synthFrame is synthImage as an 8-bit BGR frame, as a capture gives.
func synthFrame(t testing.TB, seed, size int) gocv.Mat {
	t.Helper()
	px := synthImage(seed, size)
	for i := 0; i < len(px); i += 3 {
		px[i], px[i+2] = px[i+2], px[i]
	}
	m, err := gocv.NewMatFromBytes(size, size, gocv.MatTypeCV8UC3, px)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type golden struct {
	Source  string `json:"source"`
	Runtime string `json:"runtime"`
	Size    int    `json:"size"`
	Images  []struct {
		Seed   int       `json:"seed"`
		Pooled []float64 `json:"pooled"`
		Scores []float64 `json:"scores"`
		Grid2  []float64 `json:"grid2"`
	} `json:"images"`
}

// relErr is the largest absolute difference relative to the largest
// magnitude of the reference vector.
func relErr(got []float32, want []float64) float64 {
	var scale, diff float64
	for i, w := range want {
		scale = math.Max(scale, math.Abs(w))
		diff = math.Max(diff, math.Abs(float64(got[i])-w))
	}
	return diff / math.Max(scale, 1e-12)
}

// TestGoldenTFJS runs the converted MobileNetV2 through our extractor
// (OpenCV DNN) on the images scripts/tfjs-golden.cjs ran through the
// original TF.js model, and requires agreement within 1e-4 relative on the
// pooled features, the class scores and the 2x2 grid of the block-10 map.
func TestGoldenTFJS(t *testing.T) {
	in := installed(t)
	data, err := os.ReadFile("testdata/mobilenet_v2_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	pooled := openONNX(t, mobilenetConfig(in, modelstore.OutputPooled, ModeGlobal))
	scores := openONNX(t, mobilenetConfig(in, modelstore.OutputScores, ModeGlobal))
	grid := openONNX(t, mobilenetConfig(in, modelstore.OutputBlock10, ModeGrid))
	if pooled.Dim() != 1280 || scores.Dim() != 5 || grid.Dim() != 96*4 {
		t.Fatalf("dims %d %d %d", pooled.Dim(), scores.Dim(), grid.Dim())
	}
	for _, im := range g.Images {
		frame := synthFrame(t, im.Seed, g.Size)
		for _, c := range []struct {
			name string
			b    *ONNX
			want []float64
		}{{"pooled", pooled, im.Pooled}, {"scores", scores, im.Scores}, {"grid2", grid, im.Grid2}} {
			ex, _ := c.b.NewExtractor()
			got := make([]float32, ex.Dim())
			if err := ex.Extract(frame, got); err != nil {
				t.Fatal(err)
			}
			_ = ex.Close()
			if len(c.want) != len(got) {
				t.Fatalf("%s: golden has %d values, model gives %d", c.name, len(c.want), len(got))
			}
			e := relErr(got, c.want)
			t.Logf("image %d %s: relative error %.2g vs %s", im.Seed, c.name, e, g.Runtime)
			if e > 1e-4 {
				t.Errorf("image %d %s: relative error %.3g > 1e-4", im.Seed, c.name, e)
			}
		}
		_ = frame.Close()
	}
}
