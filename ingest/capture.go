package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"gocv.io/x/gocv"
)

// ErrOpen wraps every failure to open a source.
var ErrOpen = errors.New("ingest: cannot open source")

// errPermanent marks an open failure that retrying cannot fix (a missing
// file, a URL no backend reads).
var errPermanent = errors.New("permanent")

// openCapture opens t with the backend its kind needs. It blocks for as long
// as the backend does; the caller bounds it. Errors never carry credentials.
func openCapture(t target, cfg *Config) (*gocv.VideoCapture, error) {
	shown := Redact(cfg.URL)
	switch t.kind {
	case KindFile:
		st, err := os.Stat(t.name)
		if err != nil {
			why := "cannot be read"
			if errors.Is(err, fs.ErrNotExist) {
				why = "no such file"
			}
			return nil, fmt.Errorf("%w %s: %s: %w", ErrOpen, shown, why, errPermanent)
		}
		if st.IsDir() {
			return nil, fmt.Errorf("%w %s: is a directory: %w", ErrOpen, shown, errPermanent)
		}
	case KindDevice:
		if _, err := os.Stat(t.name); err != nil {
			return nil, fmt.Errorf("%w %s: no such device %s", ErrOpen, shown, t.name)
		}
	}

	var (
		vc  *gocv.VideoCapture
		err error
	)
	switch t.kind {
	case KindDevice:
		if t.index >= 0 {
			vc, err = gocv.VideoCaptureDeviceWithAPI(t.index, gocv.VideoCaptureV4L2)
		} else {
			vc, err = gocv.VideoCaptureFileWithAPI(t.name, gocv.VideoCaptureV4L2)
		}
	case KindGStreamer:
		vc, err = gocv.VideoCaptureFileWithAPI(t.name, gocv.VideoCaptureGstreamer)
	default:
		timeout := max(cfg.OpenTimeout, cfg.ReadTimeout)
		opts := ffmpegOptions(t.kind, cfg.RTSPTransport, timeout)
		ffmpegGate.acquire(opts)
		vc, err = gocv.VideoCaptureFileWithAPI(t.name, gocv.VideoCaptureFFmpeg)
		ffmpegGate.release()
	}
	if err != nil || vc == nil || !vc.IsOpened() {
		if vc != nil {
			_ = vc.Close()
		}
		why := "the stream did not open (unreachable, refused or not a video)"
		switch t.kind {
		case KindFile:
			return nil, fmt.Errorf("%w %s: not a video OpenCV can read: %w", ErrOpen, shown, errPermanent)
		case KindDevice:
			why = "the V4L2 device did not open (busy, not a capture device or no permission)"
		case KindGStreamer:
			why = "the GStreamer pipeline did not start (check it with gst-launch-1.0; it must end in appsink)"
		}
		return nil, fmt.Errorf("%w %s: %s", ErrOpen, shown, why)
	}
	if t.kind == KindDevice {
		configureDevice(vc, cfg)
	}
	return vc, nil
}

// configureDevice requests the camera format. The driver may pick the
// nearest mode it supports; what it chose shows in the frames.
func configureDevice(vc *gocv.VideoCapture, cfg *Config) {
	if cc := strings.ToUpper(cfg.FourCC); len(cc) == 4 {
		vc.Set(gocv.VideoCaptureFOURCC, vc.ToCodec(cc))
	}
	if cfg.Width > 0 {
		vc.Set(gocv.VideoCaptureFrameWidth, float64(cfg.Width))
	}
	if cfg.Height > 0 {
		vc.Set(gocv.VideoCaptureFrameHeight, float64(cfg.Height))
	}
	if cfg.CaptureFPS > 0 {
		vc.Set(gocv.VideoCaptureFPS, cfg.CaptureFPS)
	}
}
