package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/activityd/activityd/publisher"
)

func writeDemoCSV(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "segments.csv")
	csv := "video,start_s,end_s,label\n" +
		"a.mp4,0.000,3.000,move_left\na.mp4,3.000,5.000,idle\n" +
		"b.mp4,0.000,4.000,bounce\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDemoTruthLoops(t *testing.T) {
	tr, err := readTruth(writeDemoCSV(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if tr.length != 5 || len(tr.segs) != 2 {
		t.Fatalf("video a: length %v, %d segments; want 5 s, 2", tr.length, len(tr.segs))
	}
	for _, c := range []struct {
		pts   float64
		label string
		began float64
	}{{0, "move_left", 0}, {2.9, "move_left", 0}, {3, "idle", 3}, {4.99, "idle", 3}, {5, "move_left", 5}, {13.2, "idle", 13}} {
		seg, began := tr.at(c.pts)
		if seg.Label != c.label || began != c.began {
			t.Errorf("at(%v) = %s from %v, want %s from %v", c.pts, seg.Label, began, c.label, c.began)
		}
	}
	if tr, err = readTruth(writeDemoCSV(t), "b.mp4"); err != nil || tr.length != 4 {
		t.Fatalf("video b: %v, %v", tr, err)
	}
	if _, err := readTruth(writeDemoCSV(t), "c.mp4"); err == nil || !strings.Contains(err.Error(), "c.mp4") {
		t.Fatalf("unknown video: err = %v", err)
	}
}

func TestDemoViewScoresAndPrints(t *testing.T) {
	tr, err := readTruth(writeDemoCSV(t), "a.mp4")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	v := &demoView{out: &out, truth: tr, streams: map[string]*demoStream{}}
	// 0.4: settling (not scored); 1.2 right; 2.0 wrong; 3.2 settling; 6.4 right (second loop).
	for _, f := range []struct {
		pts   float64
		label string
	}{{0.4, "idle"}, {1.2, "move_left"}, {2.0, "idle"}, {3.2, "move_left"}, {6.4, "move_left"}} {
		v.onFrame(publisher.FrameMsg{Stream: "cam", PTS: f.pts, Label: f.label, Score: 0.9})
	}
	s := v.streams["cam"]
	if s.right != 2 || s.total != 3 {
		t.Fatalf("right %d of %d, want 2 of 3", s.right, s.total)
	}
	v.onEvent(publisher.EventMsg{ID: "e1", Type: publisher.EventStart, Stream: "cam", Label: "move_left", StartPTS: 5.4})
	v.print()
	got := out.String()
	for _, want := range []string{"EVENT START move_left", "truth: move_left from t=5.00s (+0.40s)", "label move_left", "event move_left since 5.4s", "truth move_left", "ok", "accuracy 66.7% of 3"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
