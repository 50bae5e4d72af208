package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gocv.io/x/gocv"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/rnn"
)

// ErrVideo is wrapped when a video cannot be read.
var ErrVideo = errors.New("dataset: cannot read video")

// Features is one video's sampled feature vectors and their times (s).
type Features struct {
	X     [][]float32
	Times []float64
}

// Extractor decodes videos at a fixed rate and caches their features.
type Extractor struct {
	// Backbone extracts the features; BackboneName and BackboneSHA256 key
	// the cache (SHA empty for a built-in backbone).
	Backbone       features.Extractor
	BackboneName   string
	BackboneSHA256 string
	FeatureMode    string
	FPS            float64
	// CacheDir holds the cache; empty disables it.
	CacheDir string

	// Decoded counts the videos decoded (cache misses); Cached the hits.
	Decoded, Cached int
}

// FileSHA256 returns the hex sha256 of a file.
func FileSHA256(path string) (string, error) { return rnn.FileSHA256(path) }

// cachePath is where a video's features live: a folder per backbone (and
// sha), feature mode and rate, a file per video named by the hash of its
// absolute path, size and modification time.
func (e *Extractor) cachePath(video string) (string, error) {
	st, err := os.Stat(video)
	if err != nil {
		return "", fmt.Errorf("%w %s: %v", ErrVideo, video, err)
	}
	abs, _ := filepath.Abs(video)
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%d", abs, st.Size(), st.ModTime().UnixNano())))
	bb := e.BackboneName
	if e.BackboneSHA256 != "" {
		bb += "-" + e.BackboneSHA256[:min(16, len(e.BackboneSHA256))]
	}
	mode := e.FeatureMode
	if mode == "" {
		mode = "default"
	}
	dir := filepath.Join(e.CacheDir, sanitize(bb), sanitize(mode), "fps"+strconv.FormatFloat(e.FPS, 'g', -1, 64))
	return filepath.Join(dir, hex.EncodeToString(h[:12])+".safetensors"), nil
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Video returns the features of a video sampled at e.FPS, from the cache
// when present.
func (e *Extractor) Video(ctx context.Context, path string) (*Features, error) {
	var cp string
	if e.CacheDir != "" {
		var err error
		if cp, err = e.cachePath(path); err != nil {
			return nil, err
		}
		if f, err := readCache(cp); err == nil {
			e.Cached++
			return f, nil
		}
	}
	f, err := e.decode(ctx, path)
	if err != nil {
		return nil, err
	}
	// Times at the cache's precision (float32), so that a first run and a
	// cached one label the frames at a segment's edge the same way.
	for i, t := range f.Times {
		f.Times[i] = float64(float32(t))
	}
	e.Decoded++
	if cp != "" {
		if err := writeCache(cp, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// decode samples frames by time: a frame is analysed when its time reaches
// the next slot of 1/FPS seconds, as the daemon's sampler does.
func (e *Extractor) decode(ctx context.Context, path string) (*Features, error) {
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrVideo, path, err)
	}
	defer vc.Close()
	if !vc.IsOpened() {
		return nil, fmt.Errorf("%w %s: not opened", ErrVideo, path)
	}
	native := vc.Get(gocv.VideoCaptureFPS)
	if !(native > 0 && native < 1000) {
		native = 25
	}
	img := gocv.NewMat()
	defer img.Close()
	f := &Features{}
	dim := e.Backbone.Dim()
	next := 0.0
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !vc.Read(&img) || img.Empty() {
			break
		}
		t := float64(i) / native
		if ms := vc.Get(gocv.VideoCapturePosMsec); ms > 0 && i > 0 {
			t = ms / 1000
		}
		if t+1e-9 < next {
			continue
		}
		next += 1 / e.FPS
		for next <= t {
			next += 1 / e.FPS
		}
		v := make([]float32, dim)
		if err := e.Backbone.Extract(img, v); err != nil {
			return nil, fmt.Errorf("%s frame %d: %w", path, i, err)
		}
		f.X = append(f.X, v)
		f.Times = append(f.Times, t)
	}
	if len(f.X) == 0 {
		return nil, fmt.Errorf("%w %s: no frames", ErrVideo, path)
	}
	return f, nil
}

func readCache(path string) (*Features, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ts, _, err := rnn.ReadSafetensors(b)
	if err != nil {
		return nil, err
	}
	x, t := ts["x"], ts["t"]
	if len(x.Shape) != 2 || len(t.Shape) != 1 || t.Shape[0] != x.Shape[0] {
		return nil, errors.New("dataset: bad cache entry")
	}
	f := &Features{}
	for i := 0; i < x.Shape[0]; i++ {
		f.X = append(f.X, x.Data[i*x.Shape[1]:(i+1)*x.Shape[1]])
		f.Times = append(f.Times, float64(t.Data[i]))
	}
	return f, nil
}

func writeCache(path string, f *Features) error {
	flat := make([]float32, 0, len(f.X)*len(f.X[0]))
	for _, v := range f.X {
		flat = append(flat, v...)
	}
	times := make([]float32, len(f.Times))
	for i, t := range f.Times {
		times[i] = float32(t)
	}
	b, err := rnn.WriteSafetensors(map[string]rnn.Tensor{
		"x": {Shape: []int{len(f.X), len(f.X[0])}, Data: flat},
		"t": {Shape: []int{len(times)}, Data: times},
	}, nil)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("dataset: cache: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("dataset: cache: %w", err)
	}
	return os.Rename(tmp, path)
}

// Round keeps float noise out of reports.
func Round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
