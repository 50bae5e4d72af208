package synth

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"testing"

	"gocv.io/x/gocv"
)

func TestSameSeedSameFrames(t *testing.T) {
	o := small(7)
	a, b := newClip(t, MoveLeft, o), newClip(t, MoveLeft, o)
	for _, i := range []int{0, 7, a.Len() - 1} {
		if !bytes.Equal(frameBytes(t, a, i), frameBytes(t, b, i)) {
			t.Fatalf("frame %d differs between two renders with seed 7", i)
		}
	}
	// Rendering out of order gives the same bytes too.
	if !bytes.Equal(frameBytes(t, a, 3), frameBytes(t, b, 3)) {
		t.Fatal("frame 3 rendered after frame 19 differs")
	}
	o.Seed = 8
	c := newClip(t, MoveLeft, o)
	if bytes.Equal(frameBytes(t, a, 0), frameBytes(t, c, 0)) {
		t.Fatal("seeds 7 and 8 gave the same first frame")
	}
	// Another class with the same seed is another clip.
	d := newClip(t, MoveRight, small(7))
	if bytes.Equal(frameBytes(t, a, 0), frameBytes(t, d, 0)) {
		t.Fatal("move_left and move_right with seed 7 gave the same first frame")
	}

	s1, err := NewScripted(Options{Width: 96, Height: 64, FPS: 10, Seconds: 12, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := NewScripted(Options{Width: 96, Height: 64, FPS: 10, Seconds: 12, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if g1, g2 := s1.Segments(), s2.Segments(); len(g1) != len(g2) || g1[0] != g2[0] || g1[len(g1)-1] != g2[len(g2)-1] {
		t.Fatalf("scripts differ: %v vs %v", g1, g2)
	}
	for _, i := range []int{0, 60, 119} {
		if !bytes.Equal(frameBytes(t, s1, i), frameBytes(t, s2, i)) {
			t.Fatalf("scripted frame %d differs", i)
		}
	}
}

func TestEveryClassRenders(t *testing.T) {
	for _, c := range Classes() {
		for _, plain := range []bool{false, true} {
			o := small(11)
			o.Plain = plain
			v := newClip(t, c, o)
			if v.Len() != 20 {
				t.Fatalf("%s: %d frames, want 20", c, v.Len())
			}
			m := gocv.NewMat()
			seen := 0
			var first []byte
			moved := false
			for i := 0; i < v.Len(); i++ {
				if err := v.Render(i, &m); err != nil {
					t.Fatal(err)
				}
				if m.Cols() != 160 || m.Rows() != 120 || m.Type() != gocv.MatTypeCV8UC3 {
					t.Fatalf("%s: frame %d is %dx%d type %v", c, i, m.Cols(), m.Rows(), m.Type())
				}
				if i == 0 {
					first = m.ToBytes()
				} else if !bytes.Equal(first, m.ToBytes()) {
					moved = true
				}
				if actorBlob(t, v, i).area > 0 {
					seen++
				}
				if tr := v.Truth(i); tr.Label != c {
					t.Fatalf("%s: frame %d truth says %q", c, i, tr.Label)
				}
			}
			m.Close()
			if seen < v.Len()/2 {
				t.Errorf("%s (plain %v): actor visible in %d of %d frames", c, plain, seen, v.Len())
			}
			if !moved {
				t.Errorf("%s (plain %v): all frames identical", c, plain)
			}
		}
	}
}

// TestMotionIsVisible measures the actor in the rendered pixels (the
// frame with the actor minus the frame without it, everything else —
// background, noise, shake, lighting, bystanders, occluder — being equal)
// and checks that each class moves the way its name says.
func TestMotionIsVisible(t *testing.T) {
	const w, h = 320, 240
	for _, seed := range []int64{1, 2, 3} {
		o := Options{Width: w, Height: h, FPS: 10, Seconds: 2.5, Seed: seed}
		for _, c := range []string{Idle, MoveLeft, MoveRight, MoveUp, MoveDown, Approach, Recede} {
			v := newClip(t, c, o)
			a, b := meanBlob(t, v, 0, 3), meanBlob(t, v, v.Len()-3, v.Len())
			dx, dy, grow := (b.cx-a.cx)/w, (b.cy-a.cy)/h, b.area/a.area
			ok := true
			switch c {
			case Idle:
				ok = math.Abs(dx) < 0.03 && math.Abs(dy) < 0.03 && grow > 0.75 && grow < 1.33
			case MoveLeft:
				ok = dx < -0.08 && math.Abs(dy) < math.Abs(dx)/2
			case MoveRight:
				ok = dx > 0.08 && math.Abs(dy) < math.Abs(dx)/2
			case MoveUp:
				ok = dy < -0.08 && math.Abs(dx) < math.Abs(dy)/2
			case MoveDown:
				ok = dy > 0.08 && math.Abs(dx) < math.Abs(dy)/2
			case Approach:
				ok = grow > 1.4
			case Recede:
				ok = grow < 1/1.4
			}
			if !ok {
				t.Errorf("seed %d %s: centroid moved (%.3f, %.3f) of the frame, area x%.2f", seed, c, dx, dy, grow)
			}
		}
	}
}

func TestBounceGoesUpAndDown(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		v := newClip(t, Bounce, Options{Width: 320, Height: 240, FPS: 20, Seconds: 2.5, Seed: seed})
		var ys []float64
		minY, maxY := math.Inf(1), math.Inf(-1)
		x0 := actorBlob(t, v, 0).cx
		for i := 0; i < v.Len(); i++ {
			b := actorBlob(t, v, i)
			if b.area == 0 {
				continue
			}
			ys = append(ys, b.cy)
			minY, maxY = math.Min(minY, b.cy), math.Max(maxY, b.cy)
			if math.Abs(b.cx-x0) > 0.05*320 {
				t.Fatalf("seed %d: bounce drifted sideways %.1f px", seed, b.cx-x0)
			}
		}
		// Count reversals of vertical direction, ignoring jitter.
		turns, dir := 0, 0
		last := ys[0]
		for _, y := range ys[1:] {
			d := 0
			if y < last-2 {
				d = -1
			} else if y > last+2 {
				d = 1
			}
			if d != 0 {
				if dir != 0 && d != dir {
					turns++
				}
				dir, last = d, y
			}
		}
		if maxY-minY < 0.08*240 || turns < 2 {
			t.Errorf("seed %d: bounce spans %.1f px with %d turns", seed, maxY-minY, turns)
		}
	}
}

// TestRotationDirection finds, between frames a few steps apart, the turn
// that best maps the actor's earlier image onto its later one: negative
// angles in OpenCV's convention (counter-clockwise positive) for rotate_cw.
func TestRotationDirection(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 4} {
		for _, c := range []string{RotateCW, RotateCCW} {
			o := Options{Width: 320, Height: 240, FPS: 25, Seconds: 1, Seed: seed, Plain: true}
			v := newClip(t, c, o)
			votes := 0
			for _, i := range []int{0, 8, 16} {
				best := bestTurn(t, v, i, i+3)
				if (c == RotateCW) == (best < 0) {
					votes++
				}
			}
			if votes < 2 {
				t.Errorf("seed %d %s: the best matching turn had the wrong sign in %d of 3 frame pairs", seed, c, 3-votes)
			}
		}
	}
}

func bestTurn(t *testing.T, v *Video, i, j int) float64 {
	a, b := gocv.NewMat(), gocv.NewMat()
	defer a.Close()
	defer b.Close()
	if err := v.Render(i, &a); err != nil {
		t.Fatal(err)
	}
	if err := v.Render(j, &b); err != nil {
		t.Fatal(err)
	}
	c := actorBlob(t, v, i)
	best, bestErr := 0.0, math.Inf(1)
	rot := gocv.NewMat()
	defer rot.Close()
	for deg := -60.0; deg <= 60; deg += 4 {
		if deg == 0 {
			continue
		}
		m := gocv.GetRotationMatrix2D(image.Pt(int(c.cx), int(c.cy)), deg, 1)
		gocv.WarpAffineWithParams(a, &rot, m, image.Pt(a.Cols(), a.Rows()), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
		m.Close()
		if e := gocv.NormWithMats(rot, b, gocv.NormL2); e < bestErr {
			best, bestErr = deg, e
		}
	}
	return best
}

func TestTruthMatchesPixels(t *testing.T) {
	v := newClip(t, MoveRight, Options{Width: 320, Height: 240, FPS: 10, Seconds: 2, Seed: 5, Plain: true})
	for _, i := range []int{0, 10, 19} {
		b, tr := actorBlob(t, v, i), v.Truth(i)
		if math.Hypot(b.cx-tr.X, b.cy-tr.Y) > 0.5*tr.Radius {
			t.Errorf("frame %d: silhouette centre (%.1f, %.1f), truth (%.1f, %.1f) radius %.1f", i, b.cx, b.cy, tr.X, tr.Y, tr.Radius)
		}
	}
}

// TestOcclusionIsPartial checks that occluders hide part of the actor at
// most: in every sampled frame of many clips, a fifth of the actor's
// silhouette or more stays in view.
func TestOcclusionIsPartial(t *testing.T) {
	occluded := 0
	for seed := int64(1); seed <= 12; seed++ {
		for _, c := range []string{Idle, Bounce, MoveRight, Recede} {
			v := newClip(t, c, Options{Width: 240, Height: 180, FPS: 5, Seconds: 2, Seed: seed})
			if v.scene.fg.Ptr() == nil {
				continue
			}
			for i := 0; i < v.Len(); i += 2 {
				seen := actorBlob(t, v, i).area
				fg := v.scene.fg
				v.scene.fg = gocv.Mat{}
				whole := actorBlob(t, v, i).area
				v.scene.fg = fg
				if seen < 0.999*whole {
					occluded++
				}
				if seen < 0.2*whole {
					t.Errorf("seed %d %s frame %d: %.0f of %.0f actor pixels visible", seed, c, i, seen, whole)
				}
			}
		}
	}
	if occluded == 0 {
		t.Error("no sampled frame had the actor partly occluded")
	}
	t.Logf("%d sampled frames partly occluded", occluded)
}
