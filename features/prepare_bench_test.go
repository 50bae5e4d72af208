package features

import (
	"testing"

	"github.com/activityd/activityd/features/modelstore"
)

// BenchmarkPrepare is the per-frame preprocessing of a 320x240 frame for
// MobileNetV2: resize to 224x224 and the lookup-table pass into the blob.
func BenchmarkPrepare(b *testing.B) {
	in := installed(b)
	cfg := mobilenetConfig(in, modelstore.OutputPooled, ModeGlobal)
	o := openONNX(b, cfg)
	frame := synthFrame(b, 1, 240)
	defer frame.Close()
	dst, err := o.lanes[0].eng.input(1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := o.prepare(o.lanes[0], frame, dst); err != nil {
			b.Fatal(err)
		}
	}
}
