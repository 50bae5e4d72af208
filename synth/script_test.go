package synth

import (
	"math"
	"math/rand"
	"sort"
	"strconv"
	"testing"
)

func TestStep(t *testing.T) {
	for fps, want := range map[int]int{1: 1, 10: 1, 24: 3, 25: 1, 30: 3, 60: 3, 7: 7, 120: 3} {
		if got := step(fps); got != want {
			t.Errorf("step(%d) = %d, want %d", fps, got, want)
		}
	}
}

// TestScriptShape plans many scripts without rendering them: segments tile
// the video, last 2..5 s, start on whole milliseconds, never repeat the
// previous label, and every ordered pair of different classes occurs.
func TestScriptShape(t *testing.T) {
	pairs := map[[2]string]int{}
	for _, fps := range []int{25, 30} {
		o := Options{FPS: fps, Seconds: 60}
		if err := o.Validate(true); err != nil {
			t.Fatal(err)
		}
		for seed := int64(0); seed < 150; seed++ {
			parts := script(o, rand.New(rand.NewSource(seed)))
			at := 0
			for i, p := range parts {
				if p.first != at {
					t.Fatalf("fps %d seed %d: part %d starts at frame %d, want %d", fps, seed, i, p.first, at)
				}
				if d := float64(p.count) / float64(fps); d < 2 || d > 5 {
					t.Fatalf("fps %d seed %d: part %d lasts %.3f s", fps, seed, i, d)
				}
				ms := float64(p.first) * 1000 / float64(fps)
				if ms != math.Trunc(ms) {
					t.Fatalf("fps %d: boundary at frame %d is %.4f ms", fps, p.first, ms)
				}
				// The CSV's text parses back to the exact frame time.
				if s, _ := strconv.ParseFloat(formatTime(float64(p.first)/float64(fps)), 64); int(math.Round(s*float64(fps))) != p.first || math.Abs(s*1000-ms) > 1e-6 {
					t.Fatalf("fps %d: frame %d written as %s", fps, p.first, formatTime(float64(p.first)/float64(fps)))
				}
				if i > 0 {
					if p.label == parts[i-1].label {
						t.Fatalf("fps %d seed %d: %s twice in a row", fps, seed, p.label)
					}
					pairs[[2]string{parts[i-1].label, p.label}]++
				}
				at += p.count
			}
			if at != 60*fps {
				t.Fatalf("fps %d seed %d: parts cover %d frames, want %d", fps, seed, at, 60*fps)
			}
		}
	}
	if n := len(Classes()); len(pairs) != n*(n-1) {
		t.Errorf("%d of the %d ordered pairs of classes occur", len(pairs), n*(n-1))
	}
}

func TestScriptOneClass(t *testing.T) {
	o := Options{FPS: 10, Seconds: 12, Classes: []string{Bounce}}
	if err := o.Validate(true); err != nil {
		t.Fatal(err)
	}
	parts := script(o, rand.New(rand.NewSource(1)))
	if len(parts) != 1 || parts[0].count != 120 || parts[0].label != Bounce {
		t.Fatalf("one class: %+v", parts)
	}
}

// TestPlanKeepsActorInFrame runs long random scripts through the planner
// and checks that the actor never leaves the frame nor exceeds its sizes.
func TestPlanKeepsActorInFrame(t *testing.T) {
	for _, size := range [][2]int{{320, 240}, {96, 160}} {
		st := newStage(size[0], size[1])
		for seed := int64(0); seed < 40; seed++ {
			rng := rand.New(rand.NewSource(seed))
			p := freshPose(st, rng)
			prev := ""
			for k := 0; k < 40; k++ {
				label := Classes()[rng.Intn(10)]
				if label == prev {
					continue
				}
				dur := uniform(rng, 2, 5)
				m := plan(label, p, dur, st, rng, k == 0, 1)
				for t2 := 0.0; t2 <= dur; t2 += dur / 20 {
					q := m.at(t2)
					slack := 2*st.unit + 1e-6
					if q.x-q.r < -slack || q.x+q.r > st.w+slack || q.y-q.r < -slack || q.y+q.r > st.h+slack ||
						q.r < st.rmin*0.99 || q.r > st.rmax*1.01 {
						t.Fatalf("%v seed %d %s at %.2f s: actor at (%.1f, %.1f) r %.1f", size, seed, label, t2, q.x, q.y, q.r)
					}
				}
				p, prev = m.at(dur), label
			}
		}
	}
}

// TestOneFrameGivesNothingAway compares, for opposite classes, where the
// actor is and how big it is in single frames of fresh clips: the
// distributions must match (two-sample Kolmogorov–Smirnov distance), so
// that only motion tells move_left from move_right or approach from recede.
func TestOneFrameGivesNothingAway(t *testing.T) {
	st := newStage(320, 240)
	sample := func(label string, seed int64, measure func(pose) float64) []float64 {
		var out []float64
		for k := int64(0); k < 600; k++ {
			rng := rand.New(rand.NewSource(seed + k))
			dur := uniform(rng, 2, 5)
			m := plan(label, freshPose(st, rng), dur, st, rng, true, 1)
			for i := 0; i <= 10; i++ {
				out = append(out, measure(m.at(dur*float64(i)/10)))
			}
		}
		return out
	}
	for _, tc := range []struct {
		a, b    string
		measure func(pose) float64
	}{
		{MoveLeft, MoveRight, func(p pose) float64 { return p.x }},
		{MoveUp, MoveDown, func(p pose) float64 { return p.y }},
		{Approach, Recede, func(p pose) float64 { return math.Log(p.r) }},
		{RotateCW, RotateCCW, func(p pose) float64 { return p.r }},
	} {
		if d := ks(sample(tc.a, 0, tc.measure), sample(tc.b, 1e6, tc.measure)); d > 0.05 {
			t.Errorf("%s vs %s: single frames differ, KS distance %.3f", tc.a, tc.b, d)
		}
	}
}

// ks is the two-sample Kolmogorov–Smirnov distance.
func ks(a, b []float64) float64 {
	sort.Float64s(a)
	sort.Float64s(b)
	d, i, j := 0.0, 0, 0
	for i < len(a) && j < len(b) {
		if a[i] <= b[j] {
			i++
		} else {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

// TestRotationIsNotAliased: whatever the actor's symmetry, a rotation seen
// at the analysis rate turns less than half its symmetry angle between
// analysed frames, so its direction is never the wagon-wheel opposite; and
// every actor the generator makes has its symmetry set.
func TestRotationIsNotAliased(t *testing.T) {
	for fold := 1; fold <= 8; fold++ {
		step := maxSpin(fold) / analysisFPS
		if half := 180 / float64(fold); step >= half || maxSpin(fold) < minSpin {
			t.Errorf("fold %d: up to %.0f degrees per analysed frame (ambiguous from %.0f), speeds %.0f-%.0f deg/s",
				fold, step, half, minSpin, maxSpin(fold))
		}
	}
	rng := rand.New(rand.NewSource(1))
	folds := map[int]int{}
	for range 400 {
		a := newActor(rng)
		if a.fold < 1 || a.fold > 8 {
			t.Fatalf("actor kind %d has symmetry order %d", a.kind, a.fold)
		}
		folds[a.fold]++
	}
	if len(folds) < 5 {
		t.Errorf("symmetry orders seen: %v", folds)
	}
	// The fastest hexagon: 120 deg/s, 24 degrees per analysed frame.
	if got := maxSpin(6); got != 120 {
		t.Errorf("hexagon: up to %.0f deg/s, want 120", got)
	}
}
