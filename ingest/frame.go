package ingest

import (
	"time"

	"gocv.io/x/gocv"
)

// Frame is one analysed frame. The receiver owns Mat and must Close it.
type Frame struct {
	Mat gocv.Mat
	// Seq counts the analysed frames of a stream, from 1.
	Seq uint64
	// PTS is the presentation time in stream time.
	PTS time.Duration
	// Captured is the wall-clock time the frame was read.
	Captured time.Time
	// Gap is the stream time since the previous analysed frame (0 for the
	// first frame after a discontinuity).
	Gap time.Duration
	// Discontinuity is set on the first frame after the stream was
	// (re)opened, looped or jumped in time: state carried from earlier
	// frames no longer applies.
	Discontinuity bool
}

// Close releases the frame's image.
func (f *Frame) Close() {
	_ = f.Mat.Close() // safe on a closed or zero Mat
}
