package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"gocv.io/x/gocv"
)

// ErrOpen wraps every failure to open a source.
var ErrOpen = errors.New("ingest: cannot open source")

// backstop is how much longer than the supervisor's timeouts OpenCV's own
// FFmpeg open and read timeouts are.
const backstop = 500 * time.Millisecond

// errPermanent marks an open failure that retrying cannot fix (a missing
// file, a URL no backend reads).
var errPermanent = errors.New("permanent")

// openCapture opens t with the backend its kind needs. It blocks for as long
// as the backend does; the caller bounds it. Errors never carry credentials.
func openCapture(t target, cfg *Config) (*videoCapture, error) {
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

	var vc *videoCapture
	switch t.kind {
	case KindDevice:
		vc = openVideoCapture(t.name, t.index, apiV4L2, 0, 0)
	case KindGStreamer:
		vc = openVideoCapture(t.name, -1, apiGStreamer, 0, 0)
	default:
		// FFmpeg gets both its own socket timeout (through the
		// environment) and OpenCV's interrupt timeouts, a little longer
		// than the supervisor's, so that the supervisor decides and a
		// call it abandoned still returns by itself soon after.
		timeout := max(cfg.OpenTimeout, cfg.ReadTimeout)
		opts := ffmpegOptions(t.kind, cfg.RTSPTransport, timeout)
		ffmpegGate.acquire(opts)
		vc = openVideoCapture(t.name, -1, apiFFmpeg, cfg.OpenTimeout+backstop, cfg.ReadTimeout+backstop)
		ffmpegGate.release()
	}
	if vc == nil {
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
func configureDevice(vc *videoCapture, cfg *Config) {
	if cc := strings.ToUpper(cfg.FourCC); len(cc) == 4 {
		code := uint32(cc[0]) | uint32(cc[1])<<8 | uint32(cc[2])<<16 | uint32(cc[3])<<24
		vc.set(gocv.VideoCaptureFOURCC, float64(code))
	}
	if cfg.Width > 0 {
		vc.set(gocv.VideoCaptureFrameWidth, float64(cfg.Width))
	}
	if cfg.Height > 0 {
		vc.set(gocv.VideoCaptureFrameHeight, float64(cfg.Height))
	}
	if cfg.CaptureFPS > 0 {
		vc.set(gocv.VideoCaptureFPS, cfg.CaptureFPS)
	}
}
