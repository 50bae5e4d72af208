package main

import (
	"path/filepath"

	"github.com/activityd/activityd/rnn"
	"github.com/activityd/activityd/rnn/dataset"
	"github.com/activityd/activityd/rnn/report"
	"github.com/activityd/activityd/rnn/train"
	"github.com/activityd/activityd/synth"
)

// settle is how long after each change of activity frames are not scored.
const settle = 1.0

// scores are a model's (or the baseline's) held-out results.
type scores struct {
	ClipAcc      float64           `json:"clip_accuracy"`
	ClipAccLast  float64           `json:"clip_accuracy_last_frame,omitempty"`
	FrameAcc     float64           `json:"frame_accuracy"`
	FrameAccAll  float64           `json:"frame_accuracy_all_frames,omitempty"`
	FramesScored int               `json:"frames_scored"`
	Clips        *report.Confusion `json:"clip_confusion"`
	Frames       *report.Confusion `json:"frame_confusion"`
}

// scoredFrame reports whether a frame at time t counts in the per-frame
// accuracy: it is not within settle seconds after the start of its segment
// (every segment start is a change, or the start of the video).
func scoredFrame(segs []synth.Segment, t float64) bool {
	for _, s := range segs {
		if s.Contains(t) {
			return t-s.Start >= settle
		}
	}
	return false
}

// evalModel runs m over the held-out clips (the mean of its per-frame
// distributions, as the daemon's clip messages average them; and the last
// frame's) and over the held-out scripted videos from a zero state.
func evalModel(m *rnn.Model, s *sets) scores {
	sc := scores{Clips: report.NewConfusion(s.labels), Frames: report.NewConfusion(s.labels)}
	last := 0
	for _, it := range s.clipsTest.Items {
		seq := m.Sequence(it.X)
		mean := make([]float32, len(s.labels))
		for _, p := range seq {
			for j, v := range p {
				mean[j] += v
			}
		}
		sc.Clips.Add(it.Label, rnn.Argmax(mean))
		if rnn.Argmax(seq[len(seq)-1]) == it.Label {
			last++
		}
	}
	sc.ClipAcc = sc.Clips.Accuracy()
	sc.ClipAccLast = float64(last) / float64(len(s.clipsTest.Items))
	var all, allRight int
	for _, it := range s.scrTest.Items {
		segs := s.segs[filepath.Clean(it.Path)]
		for t, p := range m.Sequence(it.X) {
			lab := it.FrameLabels[t]
			if lab < 0 {
				continue
			}
			all++
			if rnn.Argmax(p) == lab {
				allRight++
			}
			if scoredFrame(segs, it.Times[t]) {
				sc.Frames.Add(lab, rnn.Argmax(p))
			}
		}
	}
	sc.FrameAcc = sc.Frames.Accuracy()
	sc.FrameAccAll = float64(allRight) / float64(max(all, 1))
	for _, row := range sc.Frames.M {
		for _, n := range row {
			sc.FramesScored += n
		}
	}
	return sc
}

// examples cuts the training items into many-to-many chunks; a clip's every
// frame carries its label.
func examples(items []dataset.Item, bptt int, first int) []train.Example {
	var out []train.Example
	for i, it := range items {
		labels := it.FrameLabels
		if labels == nil {
			labels = make([]int, len(it.X))
			for t := range labels {
				labels[t] = it.Label
			}
		}
		out = append(out, train.Chunks(it.X, labels, first+i, bptt)...)
	}
	return out
}
