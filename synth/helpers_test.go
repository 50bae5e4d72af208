package synth

import (
	"math"
	"testing"

	"gocv.io/x/gocv"
)

// small returns options for quick tests.
func small(seed int64) Options {
	return Options{Width: 160, Height: 120, FPS: 10, Seconds: 2, Seed: seed, Workers: 2}
}

func newClip(t testing.TB, label string, o Options) *Video {
	t.Helper()
	v, err := NewClip(label, o)
	if err != nil {
		t.Fatalf("NewClip(%s): %v", label, err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func frameBytes(t testing.TB, v *Video, i int) []byte {
	t.Helper()
	m := gocv.NewMat()
	defer m.Close()
	if err := v.Render(i, &m); err != nil {
		t.Fatal(err)
	}
	return m.ToBytes()
}

// blob is the actor's silhouette in one frame: where the frame differs
// from the same frame rendered without the actor.
type blob struct{ cx, cy, area float64 }

func actorBlob(t testing.TB, v *Video, i int) blob {
	t.Helper()
	with, without, diff, gray := gocv.NewMat(), gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer with.Close()
	defer without.Close()
	defer diff.Close()
	defer gray.Close()
	v.hidden = false
	if err := v.Render(i, &with); err != nil {
		t.Fatal(err)
	}
	v.hidden = true
	if err := v.Render(i, &without); err != nil {
		t.Fatal(err)
	}
	v.hidden = false
	gocv.AbsDiff(with, without, &diff)
	gocv.CvtColor(diff, &gray, gocv.ColorBGRToGray)
	gocv.Threshold(gray, &gray, 12, 255, gocv.ThresholdBinary)
	m := gocv.Moments(gray, true)
	if m["m00"] == 0 {
		return blob{math.NaN(), math.NaN(), 0}
	}
	return blob{m["m10"] / m["m00"], m["m01"] / m["m00"], m["m00"]}
}

// meanBlob averages the actor's silhouette over frames from..to-1.
func meanBlob(t testing.TB, v *Video, from, to int) blob {
	var b blob
	k := 0.0
	for i := from; i < to; i++ {
		x := actorBlob(t, v, i)
		if x.area == 0 {
			continue
		}
		b.cx += x.cx
		b.cy += x.cy
		b.area += x.area
		k++
	}
	if k == 0 {
		t.Fatalf("actor invisible in frames %d..%d", from, to-1)
	}
	return blob{b.cx / k, b.cy / k, b.area / k}
}

func psnr(a, b gocv.Mat) float64 {
	n := gocv.NormWithMats(a, b, gocv.NormL2)
	mse := n * n / float64(a.Rows()*a.Cols()*a.Channels())
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}
