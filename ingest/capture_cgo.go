package ingest

/*
#cgo !windows pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#include <stdlib.h>
#include "capture.h"
*/
import "C"

import (
	"time"
	"unsafe"

	"gocv.io/x/gocv"
)

// videoCapture is an OpenCV capture opened through ingest's own small C
// layer rather than gocv's, for three things gocv 0.31 lacks: open and read
// timeouts handed to the FFmpeg backend, grab without retrieve (a frame the
// sampler skips is decoded but never converted to BGR), and C++ exceptions
// caught instead of aborting the process. It is owned by one goroutine.
type videoCapture struct {
	p C.IngestCapture
}

// The OpenCV backends used.
const (
	apiFFmpeg    = int(gocv.VideoCaptureFFmpeg)
	apiV4L2      = int(gocv.VideoCaptureV4L2)
	apiGStreamer = int(gocv.VideoCaptureGstreamer)
)

// openVideoCapture opens name (or camera index when index >= 0) with the
// backend api. The timeouts apply to the FFmpeg backend only. It blocks as
// long as the backend does and returns nil when the open failed.
func openVideoCapture(name string, index, api int, openTimeout, readTimeout time.Duration) *videoCapture {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	p := C.ingest_open(cs, C.int(index), C.int(api), C.int(openTimeout.Milliseconds()), C.int(readTimeout.Milliseconds()))
	if p == nil {
		return nil
	}
	return &videoCapture{p: p}
}

// grab decodes the next frame; false at the end of the stream or on error.
func (c *videoCapture) grab() bool { return C.ingest_grab(c.p) != 0 }

// retrieve converts the grabbed frame into m (BGR); false on error.
func (c *videoCapture) retrieve(m *gocv.Mat) bool {
	return C.ingest_retrieve(c.p, unsafe.Pointer(m.Ptr())) != 0
}

func (c *videoCapture) get(prop gocv.VideoCaptureProperties) float64 {
	return float64(C.ingest_get(c.p, C.int(prop)))
}

func (c *videoCapture) set(prop gocv.VideoCaptureProperties, v float64) bool {
	return C.ingest_set(c.p, C.int(prop), C.double(v)) != 0
}

// release frees the capture. Call it once, from the owning goroutine.
func (c *videoCapture) release() {
	if c.p != nil {
		C.ingest_release(c.p)
		c.p = nil
	}
}
