package synth

import (
	"context"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// BenchmarkRender measures drawing alone at 320x240, full scene.
func BenchmarkRender(b *testing.B) {
	v, err := NewClip(Bounce, Options{Seconds: 4, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	m := gocv.NewMat()
	defer m.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := v.Render(i%v.Len(), &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkNewClip measures planning a clip and building its scene
// (background, occluder, noise) at 320x240.
func BenchmarkNewClip(b *testing.B) {
	for i := 0; i < b.N; i++ {
		v, err := NewClip(MoveLeft, Options{Seed: int64(i)})
		if err != nil {
			b.Fatal(err)
		}
		v.Close()
	}
}

// BenchmarkWriteClip measures a whole 3 s clip at 320x240, 25 fps:
// planning, drawing, H.264 encoding and the re-read check.
func BenchmarkWriteClip(b *testing.B) {
	dir := b.TempDir()
	frames := 0
	for i := 0; i < b.N; i++ {
		v, err := NewClip(MoveLeft, Options{Seed: int64(i)})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.Write(context.Background(), filepath.Join(dir, "c.mp4")); err != nil {
			b.Fatal(err)
		}
		frames += v.Len()
		v.Close()
	}
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
}
