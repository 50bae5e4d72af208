package decide

import (
	"fmt"
	"math"
	"testing"
	"time"
)

var labels = []string{"background", "walk", "run", "wave"}

// script is the true activity as a function of stream time: label index per
// [from, to) second interval; background elsewhere.
type span struct {
	from, to float64
	label    int
}

var script = []span{
	{2, 8, 1},     // walk for 6 s
	{8.3, 8.6, 2}, // a 0.3 s blip of run: too short to open an event
	{10, 14, 2},   // run
	{14, 14.4, 0}, // a 0.4 s dip inside run: too short to end it
	{14.4, 17, 2}, // run again: the same event goes on
	{19, 25, 3},   // wave, still open when the stream stops
	{25, 30, 3},
}

func labelAt(t float64) int {
	for _, s := range script {
		if t >= s.from && t < s.to {
			return s.label
		}
	}
	return 0
}

func probsAt(t float64) []float32 {
	p := make([]float32, len(labels))
	for i := range p {
		p[i] = 0.05
	}
	p[labelAt(t)] = 0.85
	return p
}

var testCfg = Config{SmoothingS: 0.5, Enter: 0.6, Exit: 0.4, MinDurationS: 1, MinGapS: 1, UpdateIntervalS: 2,
	Ignore: []string{"background", "none"}}

// run analyses [0, until) seconds at fps and ends what is open at shutdown.
func run(t *testing.T, fps, until float64) []Event {
	t.Helper()
	n := 0
	cfg := testCfg
	cfg.NewID = func() string { n++; return fmt.Sprintf("e%d", n) }
	d := New(cfg, labels)
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []Event
	for k := 0; ; k++ {
		pts := float64(k) / fps
		if pts >= until {
			break
		}
		out = append(out, d.Observe(pts, wall.Add(time.Duration(pts*float64(time.Second))), probsAt(pts))...)
	}
	return append(out, d.EndAll(ReasonShutdown)...)
}

func filter(evs []Event, typ string) []Event {
	var out []Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// TestSameEventsAt2And25FPS: the same label sequence analysed at 2 fps and
// at 25 fps gives the same events, whose start and end times agree within
// one analysed frame interval of the slower rate.
func TestSameEventsAt2And25FPS(t *testing.T) {
	slow, fast := run(t, 2, 30), run(t, 25, 30)
	interval := 1.0 / 2
	ss, fs := filter(slow, TypeStart), filter(fast, TypeStart)
	se, fe := filter(slow, TypeEnd), filter(fast, TypeEnd)
	if len(ss) != 3 || len(fs) != 3 || len(se) != 3 || len(fe) != 3 {
		t.Fatalf("starts/ends: 2 fps %d/%d, 25 fps %d/%d; want 3/3 each\n2 fps: %+v\n25 fps: %+v",
			len(ss), len(se), len(fs), len(fe), slow, fast)
	}
	var worst float64
	for i := range ss {
		if ss[i].Label != fs[i].Label || se[i].Label != fe[i].Label || se[i].Reason != fe[i].Reason {
			t.Errorf("event %d: 2 fps %s/%s, 25 fps %s/%s", i, ss[i].Label, se[i].Reason, fs[i].Label, fe[i].Reason)
		}
		for _, d := range []float64{ss[i].StartPTS - fs[i].StartPTS, se[i].EndPTS - fe[i].EndPTS} {
			worst = math.Max(worst, math.Abs(d))
		}
		t.Logf("%-5s 2 fps [%5.2f, %5.2f]  25 fps [%5.2f, %5.2f]  %s", ss[i].Label, ss[i].StartPTS, se[i].EndPTS,
			fs[i].StartPTS, fe[i].EndPTS, se[i].Reason)
	}
	t.Logf("largest start/end difference: %.3f s (limit %.3f s)", worst, interval)
	if worst > interval {
		t.Errorf("start/end times differ by %.3f s, more than one frame interval %.3f s", worst, interval)
	}
	want := []struct{ label, reason string }{{"walk", ReasonChanged}, {"run", ReasonChanged}, {"wave", ReasonShutdown}}
	for i, w := range want {
		if fe[i].Label != w.label || fe[i].Reason != w.reason {
			t.Errorf("end %d = %s/%s, want %s/%s", i, fe[i].Label, fe[i].Reason, w.label, w.reason)
		}
	}
	// The run event spans the 0.4 s dip: it ends after 17 s, not at 14 s.
	if fe[1].EndPTS < 17 {
		t.Errorf("run ended at %.2f s: the short dip split it", fe[1].EndPTS)
	}
	// Starts lag the true start by the smoothing (0.58 s for a step from
	// 0.05 to 0.85 to cross 0.6 with a 0.5 s time constant), not by
	// min_duration_s: the event is dated from the moment it crossed enter.
	if d := fs[0].StartPTS - 2; d < 0.5 || d > 0.65 {
		t.Errorf("walk starts at %.2f s, true start 2 s", fs[0].StartPTS)
	}
}

func TestUpdatesEveryInterval(t *testing.T) {
	for _, fps := range []float64{2, 25} {
		evs := run(t, fps, 30)
		var walk []Event
		for _, e := range evs {
			if e.Label == "walk" {
				walk = append(walk, e)
			}
		}
		// walk is open from ~3.3 s (emitted) to ~9 s: updates at 2 s
		// intervals of stream time.
		ups := filter(walk, TypeUpdate)
		if len(ups) < 2 || len(ups) > 3 {
			t.Errorf("%v fps: %d walk updates, want 2-3: %+v", fps, len(ups), walk)
		}
		for i, u := range ups {
			if u.Update != i+1 || u.ID != walk[0].ID {
				t.Errorf("%v fps: update %d = %+v", fps, i, u)
			}
		}
		if walk[0].Type != TypeStart || walk[len(walk)-1].Type != TypeEnd {
			t.Errorf("%v fps: walk events out of order: %+v", fps, walk)
		}
	}
}

func TestBackgroundNeverOpens(t *testing.T) {
	for _, fps := range []float64{2, 25} {
		for _, e := range run(t, fps, 30) {
			if e.Label == "background" {
				t.Fatalf("%v fps: background opened an event: %+v", fps, e)
			}
		}
	}
	d := New(Config{Enter: 0.5, Exit: 0.4, Ignore: []string{"None"}}, []string{"none", "x"})
	for k := 0; k < 100; k++ {
		if evs := d.Observe(float64(k), time.Time{}, []float32{1, 0}); len(evs) != 0 {
			t.Fatalf("none opened an event: %+v", evs)
		}
	}
}

func TestEndAllReasonsAndReset(t *testing.T) {
	d := New(testCfg, labels)
	for k := 0; k < 10; k++ {
		d.Observe(float64(k)*0.5, time.Time{}, []float32{0, 1, 0, 0})
	}
	if d.Open() != 1 {
		t.Fatalf("open = %d, want 1", d.Open())
	}
	if l, _, id := d.Current(); l != "walk" || id == "" {
		t.Errorf("current = %q %q", l, id)
	}
	evs := d.EndAll(ReasonSourceLost)
	if len(evs) != 1 || evs[0].Reason != ReasonSourceLost || evs[0].EndPTS != 4.5 || evs[0].DurationS != 4.5 {
		t.Fatalf("EndAll = %+v", evs)
	}
	if d.Open() != 0 || len(d.EndAll(ReasonShutdown)) != 0 {
		t.Error("EndAll left events open or ended them twice")
	}
	// After the reset the smoothing starts from the next frame.
	d.Observe(100, time.Time{}, []float32{1, 0, 0, 0})
	if l, s, _ := d.Current(); l != "background" || s != 1 {
		t.Errorf("after reset current = %q %v", l, s)
	}
}

func FuzzObserve(f *testing.F) {
	f.Add(0.5, float32(0.7), float32(0.2))
	f.Fuzz(func(t *testing.T, dt float64, a, b float32) {
		d := New(testCfg, labels)
		pts := 0.0
		for k := 0; k < 20; k++ {
			pts += dt
			d.Observe(pts, time.Time{}, []float32{a, b, a, b})
		}
		d.EndAll(ReasonShutdown)
		if d.Open() != 0 {
			t.Fatal("open after EndAll")
		}
	})
}
