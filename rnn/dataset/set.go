package dataset

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/activityd/activityd/rnn/report"
)

// Item is one video's features with its labels.
type Item struct {
	Path  string
	Label int // the clip's class (many-to-many: its most frequent frame label)
	*Features
	FrameLabels []int // many-to-many: per sampled frame; -1 ignored
}

// Set is a labelled data set with its features.
type Set struct {
	Labels []string
	Items  []Item
}

// Source says where the labelled videos are: Folders (DIR/<label>/<clip>)
// or Segments (a CSV of video,start_s,end_s,label).
type Source struct {
	Folders  string
	Segments string
	// IgnoreBackground leaves frames outside every segment unlabelled
	// instead of giving them the class "background".
	IgnoreBackground bool
	// Labels, when set, fixes the label order (a model's); data labels not
	// in it are an error.
	Labels []string
}

// Load reads the source's layout and extracts every video's features with
// e, showing progress on w.
func Load(ctx context.Context, src Source, e *Extractor, w io.Writer, terminal bool) (*Set, error) {
	type pending struct {
		path  string
		label string
		video *Video
	}
	var todo []pending
	var labels []string
	switch {
	case src.Segments != "":
		videos, ls, err := ReadSegments(src.Segments)
		if err != nil {
			return nil, err
		}
		labels = ls
		if !src.IgnoreBackground {
			labels = append(labels, Background)
		}
		for i := range videos {
			todo = append(todo, pending{path: videos[i].Path, video: &videos[i]})
		}
	case src.Folders != "":
		clips, ls, err := ScanFolders(src.Folders)
		if err != nil {
			return nil, err
		}
		labels = ls
		for _, c := range clips {
			todo = append(todo, pending{path: c.Path, label: c.Label})
		}
	default:
		return nil, fmt.Errorf("%w: no data folder or segment CSV", ErrLayout)
	}
	if src.Labels != nil {
		known := map[string]bool{}
		for _, l := range src.Labels {
			known[l] = true
		}
		for _, l := range labels {
			if !known[l] && !(l == Background && src.Segments != "") {
				return nil, fmt.Errorf("%w: class %q is not one of the model's labels %v", ErrLayout, l, src.Labels)
			}
		}
		labels = src.Labels
	}
	index := map[string]int{}
	for i, l := range labels {
		index[l] = i
	}
	bg := -1
	if i, ok := index[Background]; ok && !src.IgnoreBackground {
		bg = i
	}
	set := &Set{Labels: labels}
	p := report.NewProgress(w, terminal, "features", len(todo))
	for _, t := range todo {
		f, err := e.Video(ctx, t.path)
		if err != nil {
			return nil, err
		}
		it := Item{Path: filepath.Clean(t.path), Features: f}
		if t.video != nil {
			it.FrameLabels = FrameLabels(*t.video, f.Times, index, bg)
			it.Label = majority(it.FrameLabels, len(labels))
		} else {
			it.Label = index[t.label]
		}
		set.Items = append(set.Items, it)
		p.Add(1, filepath.Base(t.path))
	}
	return set, nil
}

func majority(labels []int, n int) int {
	count := make([]int, n)
	for _, l := range labels {
		if l >= 0 {
			count[l]++
		}
	}
	best := 0
	for i, c := range count {
		if c > count[best] {
			best = i
		}
	}
	return best
}
