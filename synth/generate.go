package synth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Report says what GenerateClips or GenerateScripted wrote.
type Report struct {
	Files    []string  // paths, in a fixed order whatever the number of workers
	Frames   int       // in all files
	Codec    string    // the FourCC of the last file written ("avc1" is H.264)
	Segments []Segment // scripted videos only, as in segments.csv
}

// ClipName returns the file name of clip index of a class: move_left_0007.mp4.
func ClipName(label string, index int) string { return fmt.Sprintf("%s_%04d.mp4", label, index) }

// VideoName returns the file name of scripted video index: scripted_007.mp4.
func VideoName(index int) string { return fmt.Sprintf("scripted_%03d.mp4", index) }

// GenerateClips writes perClass clips of every class in o.Classes to
// dir/<label>/<label>_NNNN.mp4, o.Workers at a time. Clip k of a class is
// the same whichever other classes are chosen and however many workers
// run: its seed is ItemSeed(o.Seed, k).
func GenerateClips(ctx context.Context, dir string, perClass int, o Options) (Report, error) {
	if err := o.Validate(false); err != nil {
		return Report{}, err
	}
	if perClass < 1 {
		return Report{}, fmt.Errorf("%w: clips %d: must be at least 1", ErrOptions, perClass)
	}
	type job struct {
		label string
		index int
	}
	var jobs []job
	for _, c := range o.Classes {
		if err := os.MkdirAll(filepath.Join(dir, c), 0o755); err != nil {
			return Report{}, fmt.Errorf("%w: %v", ErrWrite, err)
		}
		for k := 0; k < perClass; k++ {
			jobs = append(jobs, job{c, k})
		}
	}
	rep := Report{Files: make([]string, len(jobs))}
	err := parallel(ctx, len(jobs), o.Workers, func(ctx context.Context, i int) (int, string, error) {
		j := jobs[i]
		oi := o
		oi.Seed = ItemSeed(o.Seed, j.index)
		v, err := NewClip(j.label, oi)
		if err != nil {
			return 0, "", err
		}
		defer v.Close()
		rep.Files[i] = filepath.Join(dir, j.label, ClipName(j.label, j.index))
		codec, err := v.Write(ctx, rep.Files[i])
		if err == nil && o.Written != nil {
			o.Written(rep.Files[i])
		}
		return v.Len(), codec, err
	}, &rep)
	return rep, err
}

// GenerateScripted writes n scripted videos to dir/scripted_NNN.mp4 and
// their segments, in file order, to dir/segments.csv. Video k's seed is
// ItemSeed(o.Seed, k).
func GenerateScripted(ctx context.Context, dir string, n int, o Options) (Report, error) {
	if err := o.Validate(true); err != nil {
		return Report{}, err
	}
	if n < 1 {
		return Report{}, fmt.Errorf("%w: videos %d: must be at least 1", ErrOptions, n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrWrite, err)
	}
	rep := Report{Files: make([]string, n)}
	segs := make([][]Segment, n)
	err := parallel(ctx, n, o.Workers, func(ctx context.Context, i int) (int, string, error) {
		oi := o
		oi.Seed = ItemSeed(o.Seed, i)
		v, err := NewScripted(oi)
		if err != nil {
			return 0, "", err
		}
		defer v.Close()
		rep.Files[i] = filepath.Join(dir, VideoName(i))
		codec, err := v.Write(ctx, rep.Files[i])
		if err != nil {
			return 0, "", err
		}
		segs[i] = v.Segments()
		for k := range segs[i] {
			segs[i][k].Video = VideoName(i)
		}
		if o.Written != nil {
			o.Written(rep.Files[i])
		}
		return v.Len(), codec, nil
	}, &rep)
	if err != nil {
		return rep, err
	}
	for _, s := range segs {
		rep.Segments = append(rep.Segments, s...)
	}
	f, err := os.Create(filepath.Join(dir, "segments.csv"))
	if err != nil {
		return rep, fmt.Errorf("%w: %v", ErrWrite, err)
	}
	if err := WriteSegmentsCSV(f, rep.Segments); err != nil {
		f.Close()
		return rep, fmt.Errorf("%w: segments.csv: %v", ErrWrite, err)
	}
	if err := f.Close(); err != nil {
		return rep, fmt.Errorf("%w: segments.csv: %v", ErrWrite, err)
	}
	return rep, nil
}

// parallel runs do(0..n-1) on up to workers goroutines, stops at the first
// error (cancelling the others' context) and totals frames into rep.
func parallel(ctx context.Context, n, workers int, do func(context.Context, int) (int, string, error), rep *Report) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				frames, codec, err := do(ctx, i)
				if err != nil {
					cancel(err)
					continue
				}
				mu.Lock()
				rep.Frames += frames
				rep.Codec = codec
				mu.Unlock()
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
