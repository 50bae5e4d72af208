package synth

import (
	"errors"
	"image"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// writePhoto writes a w×h image of one colour with a darker grid on it.
func writePhoto(t *testing.T, path string, w, h int, bgr gocv.Scalar) {
	t.Helper()
	m := gocv.NewMatWithSizeFromScalar(bgr, h, w, gocv.MatTypeCV8UC3)
	defer m.Close()
	for x := 0; x < w; x += 40 {
		roi := m.Region(image.Rect(x, 0, x+4, h))
		roi.SetTo(gocv.NewScalar(bgr.Val1*0.7, bgr.Val2*0.7, bgr.Val3*0.7, 0))
		roi.Close()
	}
	if !gocv.IMWrite(path, m) {
		t.Fatalf("cannot write %s", path)
	}
}

func TestPhotoBackgrounds(t *testing.T) {
	dir := t.TempDir()
	blue, green := filepath.Join(dir, "blue.png"), filepath.Join(dir, "green.jpg")
	writePhoto(t, blue, 640, 400, gocv.NewScalar(210, 50, 40, 0))
	writePhoto(t, green, 300, 500, gocv.NewScalar(40, 200, 50, 0))
	seen := map[string]bool{}
	for seed := int64(1); seed <= 8; seed++ {
		o := small(seed)
		o.Backgrounds = []string{blue, green}
		v := newClip(t, MoveLeft, o)
		v.hidden = true
		m := gocv.NewMat()
		if err := v.Render(0, &m); err != nil {
			t.Fatal(err)
		}
		mean := m.Mean()
		m.Close()
		switch {
		case mean.Val1 > 120 && mean.Val2 < 100 && mean.Val3 < 100:
			seen["blue"] = true
		case mean.Val2 > 120 && mean.Val1 < 100 && mean.Val3 < 100:
			seen["green"] = true
		default:
			t.Errorf("seed %d: background mean BGR %.0f %.0f %.0f is neither photo", seed, mean.Val1, mean.Val2, mean.Val3)
		}
	}
	if !seen["blue"] || !seen["green"] {
		t.Errorf("over 8 seeds the photos used were %v, want both", seen)
	}
	o := small(1)
	o.Backgrounds = []string{filepath.Join(dir, "missing.png")}
	if _, err := NewClip(Idle, o); !errors.Is(err, ErrOptions) {
		t.Errorf("missing photo: got %v, want ErrOptions", err)
	}
}
