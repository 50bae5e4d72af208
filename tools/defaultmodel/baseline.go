package main

import (
	"math"
	"path/filepath"

	"github.com/activityd/activityd/rnn/dataset"
	"github.com/activityd/activityd/rnn/report"
	"github.com/activityd/activityd/rnn/train"
)

// baselineWindow is how many analysed frames the bag-of-frames baseline
// averages for a per-frame label in a scripted video: the trailing 2 s at
// 5 fps, the history the recurrent model has settled on after a change.
const baselineWindow = 10

// standardiser maps raw features to zero mean and unit variance, from the
// training clips.
type standardiser struct{ mean, std []float64 }

func newStandardiser(items []dataset.Item, dim int) standardiser {
	s := standardiser{mean: make([]float64, dim), std: make([]float64, dim)}
	n := 0.0
	for _, it := range items {
		for _, x := range it.X {
			for i, v := range x {
				s.mean[i] += float64(v)
			}
			n++
		}
	}
	for i := range s.mean {
		s.mean[i] /= n
	}
	for _, it := range items {
		for _, x := range it.X {
			for i, v := range x {
				d := float64(v) - s.mean[i]
				s.std[i] += d * d
			}
		}
	}
	for i := range s.std {
		s.std[i] = math.Max(math.Sqrt(s.std[i]/n), 1e-3)
	}
	return s
}

// average is the standardised mean of frames xs: a bag of frames, in which
// their order is lost.
func (s standardiser) average(xs [][]float32) []float64 {
	out := make([]float64, len(s.mean))
	for _, x := range xs {
		for i, v := range x {
			out[i] += (float64(v) - s.mean[i]) / s.std[i] / float64(len(xs))
		}
	}
	return out
}

// runBaseline fits the bag-of-frames baseline (time-averaged features, a
// softmax regression) on the training clips and scripted videos and scores
// it on the same held-out data as the recurrent model.
func runBaseline(s *sets) scores {
	st := newStandardiser(s.clipsTrain.Items, s.dim)
	var xs [][]float64
	var ys []int
	for _, it := range s.clipsTrain.Items {
		xs, ys = append(xs, st.average(it.X)), append(ys, it.Label)
	}
	// Scripted training frames, every third, each with its trailing window
	// (only windows inside one segment, so that the bag has one label).
	for _, it := range s.scrTrain.Items {
		for t := baselineWindow - 1; t < len(it.X); t += 3 {
			lab := it.FrameLabels[t]
			if lab < 0 || it.FrameLabels[t-baselineWindow+1] != lab {
				continue
			}
			xs, ys = append(xs, st.average(it.X[t-baselineWindow+1:t+1])), append(ys, lab)
		}
	}
	lin := train.FitLinear(xs, ys, len(s.labels), 300, 0.5)
	sc := scores{Clips: report.NewConfusion(s.labels), Frames: report.NewConfusion(s.labels)}
	for _, it := range s.clipsTest.Items {
		sc.Clips.Add(it.Label, predict(lin, st.average(it.X)))
	}
	sc.ClipAcc = sc.Clips.Accuracy()
	for _, it := range s.scrTest.Items {
		segs := s.segs[filepath.Clean(it.Path)]
		for t := range it.X {
			lab := it.FrameLabels[t]
			if lab < 0 || !scoredFrame(segs, it.Times[t]) {
				continue
			}
			from := max(0, t-baselineWindow+1)
			sc.Frames.Add(lab, predict(lin, st.average(it.X[from:t+1])))
			sc.FramesScored++
		}
	}
	sc.FrameAcc = sc.Frames.Accuracy()
	return sc
}

// predict is the class with the highest score under l.
func predict(l *train.Linear, x []float64) int {
	best, bestS := 0, math.Inf(-1)
	for c, w := range l.W {
		sum := w[len(x)]
		for i, v := range x {
			sum += w[i] * v
		}
		if sum > bestS {
			best, bestS = c, sum
		}
	}
	return best
}
