package report

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"
)

// Series is one curve of a line plot.
type Series struct {
	Name   string
	Values []float64
}

var palette = []color.RGBA{{31, 119, 180, 0}, {255, 127, 14, 0}, {44, 160, 44, 0}, {214, 39, 40, 0}}

// LinePlot draws series against epoch (1, 2, ...) and writes a PNG.
func LinePlot(path, title string, series []Series) error {
	const W, H, L, R, T, B = 720, 420, 70, 20, 40, 50
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 255, 255, 0), H, W, gocv.MatTypeCV8UC3)
	defer img.Close()
	lo, hi, n := math.Inf(1), math.Inf(-1), 0
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		n = max(n, len(s.Values))
	}
	if n == 0 {
		return errors.New("report: nothing to plot")
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-0.5, hi+0.5
	}
	pad := (hi - lo) * 0.05
	lo, hi = lo-pad, hi+pad
	black := color.RGBA{0, 0, 0, 0}
	grey := color.RGBA{210, 210, 210, 0}
	px := func(i int) int {
		if n == 1 {
			return L + (W-L-R)/2
		}
		return L + i*(W-L-R)/(n-1)
	}
	py := func(v float64) int { return T + int(float64(H-T-B)*(hi-v)/(hi-lo)) }
	for k := 0; k <= 4; k++ {
		v := lo + (hi-lo)*float64(k)/4
		y := py(v)
		gocv.Line(&img, image.Pt(L, y), image.Pt(W-R, y), grey, 1)
		gocv.PutText(&img, fmt.Sprintf("%.3g", v), image.Pt(5, y+5), gocv.FontHersheySimplex, 0.45, black, 1)
	}
	gocv.Rectangle(&img, image.Rect(L, T, W-R, H-B), black, 1)
	step := max(1, n/10)
	for i := 0; i < n; i += step {
		gocv.PutText(&img, fmt.Sprint(i+1), image.Pt(px(i)-5, H-B+20), gocv.FontHersheySimplex, 0.45, black, 1)
	}
	gocv.PutText(&img, "epoch", image.Pt(W/2-20, H-10), gocv.FontHersheySimplex, 0.5, black, 1)
	gocv.PutText(&img, title, image.Pt(L, 25), gocv.FontHersheySimplex, 0.6, black, 1)
	for si, s := range series {
		c := palette[si%len(palette)]
		for i := 1; i < len(s.Values); i++ {
			gocv.Line(&img, image.Pt(px(i-1), py(s.Values[i-1])), image.Pt(px(i), py(s.Values[i])), c, 2)
		}
		for i, v := range s.Values {
			gocv.Circle(&img, image.Pt(px(i), py(v)), 3, c, -1)
		}
		gocv.Line(&img, image.Pt(W-R-150, T+15+18*si), image.Pt(W-R-125, T+15+18*si), c, 2)
		gocv.PutText(&img, s.Name, image.Pt(W-R-120, T+20+18*si), gocv.FontHersheySimplex, 0.45, black, 1)
	}
	if !gocv.IMWrite(path, img) {
		return fmt.Errorf("report: cannot write %s", path)
	}
	return nil
}

// ConfusionPNG draws the confusion matrix, each row shaded by the fraction
// of that class predicted in each column, with the counts, and writes a PNG.
func ConfusionPNG(path string, c *Confusion) error {
	k := len(c.Labels)
	cell := max(28, min(80, 640/max(k, 1)))
	const L, T = 150, 150
	W, H := L+k*cell+20, T+k*cell+40
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 255, 255, 0), H, W, gocv.MatTypeCV8UC3)
	defer img.Close()
	black := color.RGBA{0, 0, 0, 0}
	for i := 0; i < k; i++ {
		total := 0
		for _, v := range c.M[i] {
			total += v
		}
		for j := 0; j < k; j++ {
			f := 0.0
			if total > 0 {
				f = float64(c.M[i][j]) / float64(total)
			}
			// White to blue.
			shade := color.RGBA{uint8(255 - 200*f), uint8(255 - 160*f), 255, 0}
			r := image.Rect(L+j*cell, T+i*cell, L+(j+1)*cell, T+(i+1)*cell)
			gocv.Rectangle(&img, r, shade, -1)
			gocv.Rectangle(&img, r, color.RGBA{180, 180, 180, 0}, 1)
			txt := black
			if f > 0.6 {
				txt = color.RGBA{255, 255, 255, 0}
			}
			gocv.PutText(&img, fmt.Sprint(c.M[i][j]), image.Pt(r.Min.X+4, r.Min.Y+cell/2+5), gocv.FontHersheySimplex, 0.45, txt, 1)
		}
		gocv.PutText(&img, fmt.Sprintf("%d %s", i, clip(c.Labels[i], 16)), image.Pt(5, T+i*cell+cell/2+5), gocv.FontHersheySimplex, 0.45, black, 1)
	}
	// Columns are numbered like the rows.
	for j := 0; j < k; j++ {
		gocv.PutText(&img, fmt.Sprint(j), image.Pt(L+j*cell+cell/2-5, T-10), gocv.FontHersheySimplex, 0.5, black, 1)
	}
	gocv.PutText(&img, "true (rows) vs predicted (columns)", image.Pt(5, 20), gocv.FontHersheySimplex, 0.5, black, 1)
	gocv.PutText(&img, fmt.Sprintf("accuracy %.3f", c.Accuracy()), image.Pt(5, 45), gocv.FontHersheySimplex, 0.5, black, 1)
	if !gocv.IMWrite(path, img) {
		return fmt.Errorf("report: cannot write %s", path)
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
