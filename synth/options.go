package synth

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// ErrOptions wraps every invalid option; the message names the option.
var ErrOptions = errors.New("synth: invalid options")

// ErrUnknownClass is returned for a label that is not one of Classes().
var ErrUnknownClass = errors.New("synth: unknown class")

// Limits on the options, checked by Validate.
const (
	MinSide    = 32
	MaxWidth   = 3840
	MaxHeight  = 2160
	MaxFPS     = 120
	MaxSeconds = 3600
)

// Options controls what is rendered. The zero value is usable: Validate
// fills in the defaults.
type Options struct {
	// Width and Height are the frame size in pixels, both even (H.264 with
	// 4:2:0 chroma needs it). Default 320x240.
	Width, Height int
	// FPS is the frame rate, a whole number of frames per second. Default 25.
	FPS int
	// Seconds is the length of a clip (default 3) or of a scripted video
	// (default 60).
	Seconds float64
	// Seed makes the output reproducible: the same options and seed give
	// the same frames.
	Seed int64
	// Classes restricts the activities: the clips' classes, or the labels a
	// scripted video draws its segments from. Default: all of Classes().
	Classes []string
	// MinSegment and MaxSegment bound the length in seconds of a scripted
	// video's segments. Default 2 and 5.
	MinSegment, MaxSegment float64
	// Workers is how many videos are rendered at once by GenerateClips and
	// GenerateScripted. Default: the number of CPUs.
	Workers int
	// Backgrounds, when not empty, are image files (photos) that each video
	// picks one of, at random, and crops its background from, instead of
	// painting one. Video k picks the same file as long as the list is the
	// same, in the same order.
	Backgrounds []string
	// Plain draws the actor alone on a flat grey background: no texture,
	// noise, shake, lighting drift, occluder or distractors. For debugging
	// and for tests that need clean frames.
	Plain bool
	// Written, when set, is called after each file is written (from the
	// worker goroutines, so it must be safe for concurrent use).
	Written func(path string)
}

// withDefaults returns o with its zero fields set to the defaults of a clip
// (scripted false) or of a scripted video.
func (o Options) withDefaults(scripted bool) Options {
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = 320, 240
	}
	if o.FPS == 0 {
		o.FPS = 25
	}
	if o.Seconds == 0 {
		o.Seconds = 3
		if scripted {
			o.Seconds = 60
		}
	}
	if len(o.Classes) == 0 {
		o.Classes = Classes()
	}
	if o.MinSegment == 0 {
		o.MinSegment = 2
	}
	if o.MaxSegment == 0 {
		o.MaxSegment = 5
	}
	if o.Workers == 0 {
		o.Workers = runtime.NumCPU()
	}
	return o
}

// Validate fills in the defaults (of a clip, or of a scripted video when
// scripted is true) and checks every option. Zero values mean "default";
// negative ones are errors.
func (o *Options) Validate(scripted bool) error {
	*o = o.withDefaults(scripted)
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrOptions, fmt.Sprintf(format, a...))
	}
	switch {
	case o.Width < MinSide || o.Width > MaxWidth || o.Height < MinSide || o.Height > MaxHeight:
		return bad("size %dx%d: width must be %d..%d and height %d..%d", o.Width, o.Height, MinSide, MaxWidth, MinSide, MaxHeight)
	case o.Width%2 != 0 || o.Height%2 != 0:
		return bad("size %dx%d: width and height must be even", o.Width, o.Height)
	case o.FPS < 1 || o.FPS > MaxFPS:
		return bad("fps %d: must be a whole number from 1 to %d", o.FPS, MaxFPS)
	case !(o.Seconds > 0) || o.Seconds > MaxSeconds:
		return bad("seconds %v: must be more than 0 and at most %d", o.Seconds, MaxSeconds)
	case o.Seconds*float64(o.FPS) < 1:
		return bad("seconds %v at fps %d: not even one frame", o.Seconds, o.FPS)
	case !(o.MinSegment > 0) || o.MaxSegment < o.MinSegment:
		return bad("segment length %v..%v s: need 0 < min <= max", o.MinSegment, o.MaxSegment)
	case o.Workers < 1:
		return bad("workers %d: must be at least 1", o.Workers)
	}
	seen := map[string]bool{}
	for _, c := range o.Classes {
		if !IsClass(c) {
			return fmt.Errorf("%w %q (known: %s)", ErrUnknownClass, c, strings.Join(Classes(), ", "))
		}
		if seen[c] {
			return bad("class %q listed twice", c)
		}
		seen[c] = true
	}
	return nil
}

// ParseSize parses "WIDTHxHEIGHT", e.g. "320x240".
func ParseSize(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "x")
	if ok {
		w, err = strconv.Atoi(ws)
		if err == nil {
			h, err = strconv.Atoi(hs)
		}
	}
	if !ok || err != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("%w: size %q: want WIDTHxHEIGHT, e.g. 320x240", ErrOptions, s)
	}
	return w, h, nil
}

// ParseClasses parses a comma-separated list of class names; spaces around
// names are ignored. Every name must be one of Classes().
func ParseClasses(s string) ([]string, error) {
	var out []string
	for _, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !IsClass(c) {
			return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownClass, c, strings.Join(Classes(), ", "))
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: classes %q: no class named", ErrOptions, s)
	}
	return out, nil
}
