//go:build matprofile

package dataset

import (
	"context"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/activityd/activityd/features"
)

// TestNoMatLeaks decodes a video and checks that every Mat made while
// extracting was closed (go test -tags matprofile).
func TestNoMatLeaks(t *testing.T) {
	dir := t.TempDir()
	video := filepath.Join(dir, "v.avi")
	writeVideo(t, video, 20, 25)
	before := gocv.MatProfile.Count()
	e := &Extractor{Backbone: features.NewDescriptor(), BackboneName: features.DescriptorName, FPS: 5}
	if _, err := e.Video(context.Background(), video); err != nil {
		t.Fatal(err)
	}
	_ = e.Backbone.Close()
	if n := gocv.MatProfile.Count() - before; n != 0 {
		t.Errorf("%d Mats left open", n)
	}
}
