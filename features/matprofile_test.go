//go:build matprofile

package features

import (
	"testing"

	"gocv.io/x/gocv"

	"github.com/activityd/activityd/features/modelstore"
)

// TestNoMatLeaks runs frames through a backbone and closes it: every Mat
// it made must be closed (go test -tags matprofile).
func TestNoMatLeaks(t *testing.T) {
	in := installed(t)
	before := gocv.MatProfile.Count()
	cfg := mobilenetConfig(in, modelstore.OutputBlock10, ModeGrid)
	cfg.BatchSize = 2
	b := openONNX(t, cfg)
	ex, _ := b.NewExtractor()
	frame := synthFrame(t, 1, 200)
	dst := make([]float32, ex.Dim())
	for i := 0; i < 3; i++ {
		if err := ex.Extract(frame, dst); err != nil {
			t.Fatal(err)
		}
	}
	_ = ex.Close()
	_ = frame.Close()
	_ = b.Close()
	if n := gocv.MatProfile.Count() - before; n != 0 {
		t.Errorf("%d Mats left open", n)
	}
}
