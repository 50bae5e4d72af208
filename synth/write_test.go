package synth

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gocv.io/x/gocv"
)

// decode reads every frame of path and checks the rate and size.
func decode(t *testing.T, path string, fps, w, h int) []gocv.Mat {
	t.Helper()
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil || !vc.IsOpened() {
		t.Fatalf("open %s: %v", path, err)
	}
	defer vc.Close()
	if got := vc.Get(gocv.VideoCaptureFPS); math.Abs(got-float64(fps)) > 0.01 {
		t.Errorf("%s: %.3f fps, want %d", path, got, fps)
	}
	var frames []gocv.Mat
	for {
		m := gocv.NewMat()
		if !vc.Read(&m) || m.Empty() {
			m.Close()
			break
		}
		if m.Cols() != w || m.Rows() != h {
			t.Fatalf("%s: frame %d is %dx%d, want %dx%d", path, len(frames), m.Cols(), m.Rows(), w, h)
		}
		frames = append(frames, m)
	}
	t.Cleanup(func() {
		for _, m := range frames {
			m.Close()
		}
	})
	return frames
}

// checkSame checks that decoded frame i is rendered frame m, up to
// compression: PSNR of 24 dB or more, and closer to m than frames a few
// steps away are.
func checkSame(t *testing.T, m gocv.Mat, decoded []gocv.Mat, i int) {
	t.Helper()
	p := psnr(m, decoded[i])
	if p < 24 {
		t.Errorf("frame %d: PSNR %.1f dB between rendered and decoded", i, p)
	}
	for _, j := range []int{i - 3, i + 3} {
		if j >= 0 && j < len(decoded) {
			if q := psnr(m, decoded[j]); q >= p {
				t.Errorf("rendered frame %d matches decoded frame %d (%.1f dB) as well as frame %d (%.1f dB)", i, j, q, i, p)
			}
		}
	}
}

func TestWriteClipDecodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clip.mp4")
	o := small(21)
	if err := WriteClip(path, Approach, o); err != nil {
		t.Fatal(err)
	}
	frames := decode(t, path, 10, 160, 120)
	if len(frames) != 20 {
		t.Fatalf("decoded %d frames, want 20", len(frames))
	}
	// The file holds what Render draws, up to compression.
	v := newClip(t, Approach, o)
	m := gocv.NewMat()
	defer m.Close()
	for _, i := range []int{0, 10, 19} {
		if err := v.Render(i, &m); err != nil {
			t.Fatal(err)
		}
		checkSame(t, m, frames, i)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*part*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestWriteScriptedSegments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "long.mp4")
	o := Options{Width: 128, Height: 96, FPS: 10, Seconds: 20, Seed: 4}
	segs, err := WriteScripted(path, o)
	if err != nil {
		t.Fatal(err)
	}
	frames := decode(t, path, 10, 128, 96)
	if len(frames) != 200 {
		t.Fatalf("decoded %d frames, want 200", len(frames))
	}
	checkCoverage(t, segs, "long.mp4", 20)
	// The segments agree with what each frame shows.
	v, err := NewScripted(o)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for i := 0; i < v.Len(); i++ {
		label, ok := LabelAt(segs, "long.mp4", float64(i)/10)
		if !ok || label != v.Truth(i).Label {
			t.Fatalf("frame %d: segments say %q (%v), the script %q", i, label, ok, v.Truth(i).Label)
		}
	}
}

// checkCoverage checks that segs of video tile [0, seconds) in order, each
// 2..5 s long, with a change of label at every boundary.
func checkCoverage(t *testing.T, segs []Segment, video string, seconds float64) {
	t.Helper()
	at := 0.0
	prev := ""
	n := 0
	for _, s := range segs {
		if s.Video != video {
			continue
		}
		n++
		if math.Abs(s.Start-at) > 1e-9 {
			t.Fatalf("%s: segment %+v starts at %.3f, want %.3f", video, s, s.Start, at)
		}
		if d := s.End - s.Start; d < 2-1e-9 || d > 5+1e-9 {
			t.Errorf("%s: segment %+v lasts %.3f s, want 2..5", video, s, d)
		}
		if !IsClass(s.Label) || s.Label == prev {
			t.Errorf("%s: segment %+v: label unknown or same as before", video, s)
		}
		at, prev = s.End, s.Label
	}
	if n < 2 || math.Abs(at-seconds) > 1e-9 {
		t.Fatalf("%s: %d segments ending at %.3f, want several ending at %v", video, n, at, seconds)
	}
}

func TestGenerateScripted(t *testing.T) {
	dir := t.TempDir()
	o := Options{Width: 96, Height: 64, FPS: 12, Seconds: 9, Seed: 9, Workers: 2}
	rep, err := GenerateScripted(context.Background(), dir, 2, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Frames != 2*108 || len(rep.Files) != 2 || rep.Codec == "" {
		t.Fatalf("report %+v", rep)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "segments.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), "video,start_s,end_s,label\n") {
		t.Fatalf("segments.csv starts %q", string(raw)[:min(len(raw), 40)])
	}
	f, err := os.Open(filepath.Join(dir, "segments.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	segs, err := ReadSegmentsCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != len(rep.Segments) {
		t.Fatalf("csv has %d segments, report %d", len(segs), len(rep.Segments))
	}
	for i := range segs {
		if segs[i] != rep.Segments[i] {
			t.Fatalf("csv row %d %+v, report %+v", i, segs[i], rep.Segments[i])
		}
	}
	for k, name := range []string{"scripted_000.mp4", "scripted_001.mp4"} {
		frames := decode(t, filepath.Join(dir, name), 12, 96, 64)
		// Times are consistent with the frames: the last segment ends at
		// frames/fps.
		checkCoverage(t, segs, name, float64(len(frames))/12)
		// Video k is NewScripted with ItemSeed(seed, k).
		ok := o
		ok.Seed = ItemSeed(o.Seed, k)
		v, err := NewScripted(ok)
		if err != nil {
			t.Fatal(err)
		}
		m := gocv.NewMat()
		if err := v.Render(50, &m); err != nil {
			t.Fatal(err)
		}
		checkSame(t, m, frames, 50)
		m.Close()
		v.Close()
	}
}

func TestGenerateClips(t *testing.T) {
	dir := t.TempDir()
	o := Options{Width: 96, Height: 64, FPS: 8, Seconds: 1, Seed: 5, Classes: []string{MoveUp, RotateCW}, Workers: 2}
	var mu sync.Mutex
	var written []string
	o.Written = func(p string) { mu.Lock(); written = append(written, p); mu.Unlock() }
	rep, err := GenerateClips(context.Background(), dir, 2, o)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"move_up/move_up_0000.mp4", "move_up/move_up_0001.mp4", "rotate_cw/rotate_cw_0000.mp4", "rotate_cw/rotate_cw_0001.mp4"}
	if len(rep.Files) != len(want) || len(written) != len(want) || rep.Frames != 4*8 {
		t.Fatalf("report %+v, written %v", rep, written)
	}
	for i, w := range want {
		if rep.Files[i] != filepath.Join(dir, w) {
			t.Errorf("file %d is %s, want %s", i, rep.Files[i], w)
		}
		if n := len(decode(t, rep.Files[i], 8, 96, 64)); n != 8 {
			t.Errorf("%s: %d frames, want 8", w, n)
		}
	}
	// Clip 1 of rotate_cw is WriteClip with ItemSeed(seed, 1).
	one := o
	one.Seed = ItemSeed(o.Seed, 1)
	v := newClip(t, RotateCW, one)
	m := gocv.NewMat()
	defer m.Close()
	if err := v.Render(4, &m); err != nil {
		t.Fatal(err)
	}
	checkSame(t, m, decode(t, rep.Files[3], 8, 96, 64), 4)
}

func TestGenerateStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := GenerateClips(ctx, t.TempDir(), 3, small(1))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestGenerateCancelLeavesNoPartialFiles(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := small(2)
	o.Classes, o.Workers = []string{Idle}, 1
	o.Written = func(string) { cancel() }
	_, err := GenerateClips(ctx, dir, 4, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	var names []string
	entries, _ := os.ReadDir(filepath.Join(dir, Idle))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "idle_0000.mp4" {
		t.Fatalf("after cancelling at the first file the folder holds %v", names)
	}
}

func TestWriteErrors(t *testing.T) {
	v := newClip(t, Idle, small(1))
	if _, err := v.Write(context.Background(), filepath.Join(t.TempDir(), "x.avi")); !errors.Is(err, ErrWrite) {
		t.Errorf("non-mp4 name: %v", err)
	}
	if _, err := v.Write(context.Background(), filepath.Join(t.TempDir(), "missing", "x.mp4")); !errors.Is(err, ErrWrite) {
		t.Errorf("missing folder: %v", err)
	}
}
