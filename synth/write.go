package synth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gocv.io/x/gocv"
)

// ErrWrite wraps every failure to write or re-read a video file.
var ErrWrite = errors.New("synth: cannot write video")

// Write renders every frame into an MP4 file at path (H.264 when OpenCV can
// encode it, MPEG-4 part 2 otherwise), then opens the file again and checks
// its frame count and rate. It writes to a temporary name and renames at
// the end, so path never holds a partial video. It returns the FourCC used.
func (v *Video) Write(ctx context.Context, path string) (codec string, err error) {
	if !strings.EqualFold(filepath.Ext(path), ".mp4") {
		return "", fmt.Errorf("%w: %s: the name must end in .mp4", ErrWrite, path)
	}
	// Checked here because OpenCV, failing to open a writer, tries every
	// backend and prints warnings.
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%w: %s: no such folder", ErrWrite, filepath.Dir(path))
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".part.mp4")
	defer os.Remove(tmp) // a no-op after the rename
	vw, codec, err := openWriter(tmp, v.o.FPS, v.o.Width, v.o.Height)
	if err != nil {
		return "", err
	}
	frame := gocv.NewMat()
	defer frame.Close()
	for i := 0; i < v.n; i++ {
		if err := ctx.Err(); err != nil {
			vw.Close()
			return "", err
		}
		if err := v.Render(i, &frame); err != nil {
			vw.Close()
			return "", err
		}
		if err := vw.Write(frame); err != nil {
			vw.Close()
			return "", fmt.Errorf("%w: %s: frame %d: %v", ErrWrite, path, i, err)
		}
	}
	vw.Close()
	if err := checkVideo(tmp, v.n, v.o.FPS); err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrWrite, path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("%w: %v", ErrWrite, err)
	}
	return codec, nil
}

// openWriter opens an MP4 writer, trying H.264 ("avc1") first and MPEG-4
// part 2 ("mp4v") for OpenCV builds without an H.264 encoder.
func openWriter(path string, fps, w, h int) (*gocv.VideoWriter, string, error) {
	codecs := []string{"avc1", "mp4v"}
	for _, c := range codecs {
		vw, err := gocv.VideoWriterFile(path, c, float64(fps), w, h, true)
		if err == nil && vw.IsOpened() {
			return vw, c, nil
		}
		if vw != nil {
			vw.Close()
		}
	}
	return nil, "", fmt.Errorf("%w: %s: OpenCV opened no writer for %v", ErrWrite, path, codecs)
}

// checkVideo opens path with OpenCV and compares its frame count and rate
// with what was written.
func checkVideo(path string, frames, fps int) error {
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		return err
	}
	defer vc.Close()
	if !vc.IsOpened() {
		return errors.New("does not open again")
	}
	if n := int(math.Round(vc.Get(gocv.VideoCaptureFrameCount))); n != frames {
		return fmt.Errorf("has %d frames, wrote %d", n, frames)
	}
	if f := vc.Get(gocv.VideoCaptureFPS); math.Abs(f-float64(fps)) > 0.01 {
		return fmt.Errorf("plays at %.3f fps, wrote %d", f, fps)
	}
	return nil
}

// WriteClip writes a clip of one activity to path (an .mp4 name); see
// NewClip.
func WriteClip(path, label string, o Options) error {
	v, err := NewClip(label, o)
	if err != nil {
		return err
	}
	defer v.Close()
	_, err = v.Write(context.Background(), path)
	return err
}

// WriteScripted writes a scripted video to path (an .mp4 name) and returns
// its segments, with Video set to the file's base name; see NewScripted.
func WriteScripted(path string, o Options) ([]Segment, error) {
	v, err := NewScripted(o)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	if _, err := v.Write(context.Background(), path); err != nil {
		return nil, err
	}
	segs := v.Segments()
	for i := range segs {
		segs[i].Video = filepath.Base(path)
	}
	return segs, nil
}
