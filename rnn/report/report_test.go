package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

func TestConfusionMetrics(t *testing.T) {
	c := NewConfusion([]string{"a", "b", "c"})
	for _, p := range [][2]int{{0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 1}, {1, 1}, {2, 0}, {2, 2}} {
		c.Add(p[0], p[1])
	}
	if got := c.Accuracy(); got != 6.0/8 {
		t.Errorf("accuracy %v", got)
	}
	pc := c.PerClass()
	// a: tp 2, predicted 3, actual 3.
	if pc[0].Precision != 2.0/3 || pc[0].Recall != 2.0/3 || pc[0].Support != 3 {
		t.Errorf("class a: %+v", pc[0])
	}
	// b: tp 3, predicted 4, actual 3.
	if pc[1].Precision != 0.75 || pc[1].Recall != 1 {
		t.Errorf("class b: %+v", pc[1])
	}
	if f := pc[1].F1; f < 0.857 || f > 0.858 {
		t.Errorf("class b F1 %v", f)
	}
}

// TestPlots writes both PNGs and reads them back as images of the
// expected size with more than one colour.
func TestPlots(t *testing.T) {
	dir := t.TempDir()
	lp := filepath.Join(dir, "loss.png")
	if err := LinePlot(lp, "loss", []Series{{"train", []float64{2, 1, 0.5}}, {"validation", []float64{2.1, 1.4, 1.2}}}); err != nil {
		t.Fatal(err)
	}
	c := NewConfusion([]string{"walk", "run"})
	c.Add(0, 0)
	c.Add(1, 0)
	cp := filepath.Join(dir, "confusion.png")
	if err := ConfusionPNG(cp, c); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{lp, cp} {
		img := gocv.IMRead(p, gocv.IMReadColor)
		if img.Empty() || img.Cols() < 200 || img.Rows() < 200 {
			t.Errorf("%s: %dx%d", p, img.Cols(), img.Rows())
		}
		flat := img.Reshape(1, 0)
		minV, maxV, _, _ := gocv.MinMaxLoc(flat)
		if maxV == minV {
			t.Errorf("%s is blank", p)
		}
		flat.Close()
		img.Close()
	}
	if err := LinePlot(filepath.Join(dir, "x.png"), "empty", nil); err == nil {
		t.Error("empty plot: no error")
	}
}

func TestProgressPlain(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, false, "features", 3)
	for i := 0; i < 3; i++ {
		p.Add(1, "clip")
	}
	if !strings.Contains(b.String(), "features 3/3") {
		t.Errorf("no final line: %q", b.String())
	}
}
