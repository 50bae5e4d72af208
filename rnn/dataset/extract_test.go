package dataset

import (
	"context"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/activityd/activityd/features"
)

// writeVideo writes an MJPEG AVI of n frames at fps whose brightness
// encodes the frame index.
func writeVideo(t testing.TB, path string, n int, fps float64) {
	t.Helper()
	vw, err := gocv.VideoWriterFile(path, "MJPG", fps, 64, 48, true)
	if err != nil {
		t.Fatal(err)
	}
	defer vw.Close()
	img := gocv.NewMatWithSize(48, 64, gocv.MatTypeCV8UC3)
	defer img.Close()
	for i := 0; i < n; i++ {
		v := float64(i * 255 / n)
		img.SetTo(gocv.NewScalar(v, v, v, 0))
		gocv.Rectangle(&img, image.Rect(2*i%60, 10, 2*i%60+4, 20), color.RGBA{255, 0, 0, 0}, -1)
		if err := vw.Write(img); err != nil {
			t.Fatal(err)
		}
	}
}

// TestExtractSamplesByTimeAndCaches decodes a 25 fps video at 5 fps: one
// frame in five, at 0.2 s steps; a second extractor with the same key
// reads the cache and decodes nothing; another rate is another key.
func TestExtractSamplesByTimeAndCaches(t *testing.T) {
	dir := t.TempDir()
	video := filepath.Join(dir, "v.avi")
	writeVideo(t, video, 50, 25)
	newEx := func(fps float64) *Extractor {
		return &Extractor{Backbone: features.NewDescriptor(), BackboneName: features.DescriptorName, FPS: fps,
			CacheDir: filepath.Join(dir, "cache")}
	}
	e := newEx(5)
	defer e.Backbone.Close()
	f, err := e.Video(context.Background(), video)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.X) != 10 || e.Decoded != 1 {
		t.Fatalf("%d frames (decoded %d), want 10 at 5 fps from 2 s", len(f.X), e.Decoded)
	}
	for i, tm := range f.Times {
		if math.Abs(tm-0.2*float64(i)) > 0.021 {
			t.Errorf("frame %d at %.3f s, want %.1f", i, tm, 0.2*float64(i))
		}
	}
	if len(f.X[0]) != features.DescriptorDim || f.X[0][0] == f.X[9][0] {
		t.Errorf("features do not follow the video: %v ... %v", f.X[0][:3], f.X[9][:3])
	}
	again := newEx(5)
	defer again.Backbone.Close()
	g, err := again.Video(context.Background(), video)
	if err != nil {
		t.Fatal(err)
	}
	if again.Decoded != 0 || again.Cached != 1 || len(g.X) != 10 || g.X[3][5] != f.X[3][5] {
		t.Errorf("cache: decoded %d cached %d, %d frames", again.Decoded, again.Cached, len(g.X))
	}
	// A cached video reads back exactly as it was decoded, times included:
	// frame labels at a segment's edge depend on them.
	for i := range f.Times {
		if g.Times[i] != f.Times[i] {
			t.Errorf("frame %d: decoded at %v s, read back from the cache at %v s", i, f.Times[i], g.Times[i])
		}
	}
	other := newEx(10)
	defer other.Backbone.Close()
	h, err := other.Video(context.Background(), video)
	if err != nil {
		t.Fatal(err)
	}
	if other.Decoded != 1 || len(h.X) != 20 {
		t.Errorf("10 fps: decoded %d, %d frames, want 1 and 20", other.Decoded, len(h.X))
	}
	if _, err := newEx(5).Video(context.Background(), filepath.Join(dir, "missing.avi")); err == nil {
		t.Error("missing video: no error")
	}
	bad := filepath.Join(dir, "bad.avi")
	_ = os.WriteFile(bad, []byte("not a video"), 0o644)
	if _, err := newEx(5).Video(context.Background(), bad); err == nil {
		t.Error("garbage video: no error")
	}
}
