package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/features/modelstore"
	"github.com/activityd/activityd/rnn/dataset"
	"github.com/activityd/activityd/rnn/report"
	"github.com/activityd/activityd/synth"
)

// backboneName is the installed backbone the default model runs on.
const backboneName = modelstore.MobileNetV2

// options are the command's flags.
type options struct {
	work, out, stateDir, modes, cell string
	engine                           string
	modeList                         []string
	grid, hidden, epochs, bptt       int
	lr, fps, trend                   float64
	seed                             int64
	compareOnly, lda, probe, seeA    bool
	subset, scripts, motion, spin    int
}

// sets is the data of one feature mode: training and held-out clips and
// scripted videos, with the scripts' segments by video file name.
type sets struct {
	mode                  string // as recorded in the model: global or gridG
	labels                []string
	dim                   int
	clipsTrain, clipsTest *dataset.Set
	scrTrain, scrTest     *dataset.Set
	segs                  map[string][]synth.Segment
	backboneSHA           string
}

// modeName is the feature mode as the model records it and the cache keys it.
func modeName(mode string, grid int) string {
	if mode == features.ModeGrid {
		return fmt.Sprintf("grid%d", grid)
	}
	return mode
}

// load extracts (or reads from the cache) the features of every video in
// the work folder with the backbone in the given mode.
func load(ctx context.Context, o options, mode string) (*sets, error) {
	in, err := modelstore.Find(modelstore.SearchDirs(o.stateDir), backboneName)
	if err != nil {
		return nil, fmt.Errorf("%w (run `make models`)", err)
	}
	// One session on every core: the videos are extracted one frame at a
	// time. ONNX Runtime and OpenCV agree within 1.4e-6 (TestEngineParity).
	bb, err := features.Open(ctx, features.Options{Backbone: backboneName, StateDir: o.stateDir, Mode: mode, Grid: o.grid,
		Engine: o.engine, Sessions: 1})
	if err != nil {
		return nil, err
	}
	defer bb.Close()
	ex, err := bb.NewExtractor()
	if err != nil {
		return nil, err
	}
	defer ex.Close()
	s := &sets{mode: modeName(mode, o.grid), labels: synth.Classes(), dim: ex.Dim(), backboneSHA: in.Manifest.SHA256,
		segs: map[string][]synth.Segment{}}
	dex := &dataset.Extractor{Backbone: ex, BackboneName: backboneName, BackboneSHA256: in.Manifest.SHA256,
		FeatureMode: s.mode, FPS: o.fps, CacheDir: filepath.Join(o.work, "cache")}
	term := report.IsTerminal(os.Stderr)
	get := func(src dataset.Source) (*dataset.Set, error) {
		src.Labels, src.IgnoreBackground = s.labels, true
		if o.subset > 0 && src.Folders != "" {
			n := o.subset
			if strings.HasSuffix(src.Folders, "-test") {
				n = max(n/2, 1)
			}
			return loadSubset(ctx, src, dex, n)
		}
		return dataset.Load(ctx, src, dex, os.Stderr, term)
	}
	if s.clipsTrain, err = get(dataset.Source{Folders: filepath.Join(o.work, "clips-train")}); err != nil {
		return nil, err
	}
	if s.clipsTest, err = get(dataset.Source{Folders: filepath.Join(o.work, "clips-test")}); err != nil {
		return nil, err
	}
	if o.probe {
		s.scrTrain, s.scrTest = &dataset.Set{Labels: s.labels}, &dataset.Set{Labels: s.labels}
	}
	for _, name := range []string{"scripted-train", "scripted-test"} {
		if o.probe {
			break
		}
		csv := filepath.Join(o.work, name, "segments.csv")
		if name == "scripted-train" && o.scripts > 0 {
			if csv, err = firstVideos(o.work, name, o.scripts); err != nil {
				return nil, err
			}
		}
		set, err := get(dataset.Source{Segments: csv})
		if err != nil {
			return nil, err
		}
		if name == "scripted-train" {
			s.scrTrain = set
		} else {
			s.scrTest = set
		}
		f, err := os.Open(csv)
		if err != nil {
			return nil, err
		}
		segs, err := synth.ReadSegmentsCSV(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		for _, sg := range segs {
			key := filepath.Join(filepath.Dir(csv), sg.Video)
			s.segs[filepath.Clean(key)] = append(s.segs[filepath.Clean(key)], sg)
		}
	}
	fmt.Fprintf(os.Stderr, "%s: %d features; clips %d+%d, scripted %d+%d (%d decoded, %d cached)\n", s.mode, s.dim,
		len(s.clipsTrain.Items), len(s.clipsTest.Items), len(s.scrTrain.Items), len(s.scrTest.Items), dex.Decoded, dex.Cached)
	return s, nil
}

// loadSubset extracts only the first n clips of each class of a
// folder-per-class layout.
func loadSubset(ctx context.Context, src dataset.Source, dex *dataset.Extractor, n int) (*dataset.Set, error) {
	clips, _, err := dataset.ScanFolders(src.Folders)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, l := range src.Labels {
		index[l] = i
	}
	set := &dataset.Set{Labels: src.Labels}
	count := map[string]int{}
	for _, c := range clips {
		if count[c.Label] >= n {
			continue
		}
		count[c.Label]++
		f, err := dex.Video(ctx, c.Path)
		if err != nil {
			return nil, err
		}
		set.Items = append(set.Items, dataset.Item{Path: filepath.Clean(c.Path), Label: index[c.Label], Features: f})
	}
	return set, nil
}

// firstVideos writes a segments CSV of the first n videos of the scripted
// set name (in WORK/subsets, pointing at the same files) and returns its
// path.
func firstVideos(work, name string, n int) (string, error) {
	f, err := os.Open(filepath.Join(work, name, "segments.csv"))
	if err != nil {
		return "", err
	}
	segs, err := synth.ReadSegmentsCSV(f)
	f.Close()
	if err != nil {
		return "", err
	}
	var keep []synth.Segment
	seen := map[string]bool{}
	for _, s := range segs {
		if !seen[s.Video] && len(seen) == n {
			continue
		}
		seen[s.Video] = true
		s.Video = filepath.Join("..", name, s.Video)
		keep = append(keep, s)
	}
	dir := filepath.Join(work, "subsets")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.csv", name, n))
	out, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := synth.WriteSegmentsCSV(out, keep); err != nil {
		out.Close()
		return "", err
	}
	return path, out.Close()
}
