package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/activityd/activityd/synth"
)

func runSynth(ctx context.Context, args []string) error {
	return synthMain(ctx, args, os.Stderr)
}

// synthMain parses the synth flags and renders the data set, reporting
// progress and a summary on w.
func synthMain(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(w)
	clips := fs.Int("clips", 0, "write `N` clips per class, to DIR/<label>/<label>_NNNN.mp4")
	scripted := fs.Bool("scripted", false, "write long scripted videos and DIR/segments.csv instead of clips")
	videos := fs.Int("videos", 1, "with --scripted: the number of videos")
	seconds := fs.Float64("seconds", 0, "length of each clip or video: `S` seconds (default 3 for clips, 60 for scripted videos)")
	fps := fs.Int("fps", 25, "frames per second, a whole number from 1 to 120")
	size := fs.String("size", "320x240", "frame size `WxH`, both even")
	seed := fs.Int64("seed", 1, "random seed: the same flags and seed give the same frames")
	out := fs.String("out", "", "output folder `DIR` (required)")
	classes := fs.String("classes", "", "comma-separated subset of the classes (default all): "+joinClasses())
	workers := fs.Int("workers", 0, "files rendered at once (default: the number of CPUs)")
	minSeg := fs.Float64("min-segment", 2, "with --scripted: shortest segment, seconds")
	maxSeg := fs.Float64("max-segment", 5, "with --scripted: longest segment, seconds")
	photos := fs.String("backgrounds", "", "crop backgrounds from the .jpg and .png photos in folder `PHOTOS` instead of painting them")
	plain := fs.Bool("plain", false, "flat grey background, no noise, shake, flicker, occluders or bystanders")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage:\n"+
			"  activityctl synth --clips N [--seconds S] [--fps F] [--size WxH] [--seed K] --out DIR\n"+
			"  activityctl synth --scripted --videos N [--seconds S] [--fps F] [--size WxH] [--seed K] --out DIR\n\n"+
			"Renders a labelled synthetic activity video data set (see docs/synth.md).\n\n")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case *out == "":
		return errors.New("--out DIR is required")
	case !*scripted && !set["clips"]:
		return errors.New("say what to write: --clips N (clips per class) or --scripted --videos N")
	case *scripted && set["clips"]:
		return errors.New("--clips and --scripted exclude each other")
	case !*scripted && *clips < 1:
		return fmt.Errorf("--clips %d: must be at least 1", *clips)
	case *scripted && *videos < 1:
		return fmt.Errorf("--videos %d: must be at least 1", *videos)
	case *fps < 1 || *fps > synth.MaxFPS:
		return fmt.Errorf("--fps %d: must be a whole number from 1 to %d", *fps, synth.MaxFPS)
	case set["seconds"] && !(*seconds > 0):
		return fmt.Errorf("--seconds %v: must be more than 0", *seconds)
	case set["workers"] && *workers < 1:
		return fmt.Errorf("--workers %d: must be at least 1", *workers)
	}
	o := synth.Options{FPS: *fps, Seconds: *seconds, Seed: *seed, Workers: *workers,
		MinSegment: *minSeg, MaxSegment: *maxSeg, Plain: *plain}
	var err error
	if o.Width, o.Height, err = synth.ParseSize(*size); err != nil {
		return err
	}
	if set["classes"] {
		if o.Classes, err = synth.ParseClasses(*classes); err != nil {
			return err
		}
	}
	if *photos != "" {
		if o.Backgrounds, err = listImages(*photos); err != nil {
			return err
		}
	}
	if err := o.Validate(*scripted); err != nil {
		return err
	}
	total := *videos
	if !*scripted {
		total = *clips * len(o.Classes)
	}
	var done atomic.Int64
	var last atomic.Int64
	start := time.Now()
	o.Written = func(string) {
		n := done.Add(1)
		now := time.Since(start).Milliseconds()
		if prev := last.Load(); now-prev >= 2000 && last.CompareAndSwap(prev, now) {
			fmt.Fprintf(w, "%d/%d files\n", n, total)
		}
	}
	var rep synth.Report
	if *scripted {
		rep, err = synth.GenerateScripted(ctx, *out, *videos, o)
	} else {
		rep, err = synth.GenerateClips(ctx, *out, *clips, o)
	}
	if err != nil {
		return err
	}
	el := time.Since(start).Seconds()
	what := fmt.Sprintf("%d clips (%d classes x %d)", len(rep.Files), len(o.Classes), *clips)
	if *scripted {
		what = fmt.Sprintf("%d scripted video(s), %d segments in segments.csv", len(rep.Files), len(rep.Segments))
	}
	fmt.Fprintf(w, "wrote %s to %s: %d frames of %dx%d at %d fps in %.1f s (%.0f frames/s), codec %s\n",
		what, *out, rep.Frames, o.Width, o.Height, o.FPS, el, float64(rep.Frames)/el, rep.Codec)
	return nil
}

func joinClasses() string {
	s := ""
	for i, c := range synth.Classes() {
		if i > 0 {
			s += ","
		}
		s += c
	}
	return s
}

// listImages returns the .jpg, .jpeg and .png files in dir, sorted, so that
// a seed picks the same photo whatever order the folder lists them in.
func listImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--backgrounds: %w", err)
	}
	var out []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".jpeg", ".png":
			if !e.IsDir() {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--backgrounds %s: no .jpg, .jpeg or .png files", dir)
	}
	sort.Strings(out)
	return out, nil
}
