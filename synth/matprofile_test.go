//go:build matprofile

package synth

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// TestNoMatLeaks renders and writes clips and scripted videos and checks
// that every Mat was closed. Run with -tags matprofile.
func TestNoMatLeaks(t *testing.T) {
	before := gocv.MatProfile.Count()
	for _, c := range Classes() {
		o := small(1)
		o.Seconds = 0.5
		if err := WriteClip(filepath.Join(t.TempDir(), "c.mp4"), c, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := GenerateScripted(context.Background(), t.TempDir(), 2, Options{Width: 64, Height: 48, FPS: 5, Seconds: 6, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	v := newClip(t, Idle, small(3))
	actorBlob(t, v, 0)
	v.Close()
	if n := gocv.MatProfile.Count(); n != before {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("%d Mats left open:\n%s", n-before, b.String())
	}
}
