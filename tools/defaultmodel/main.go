// Command defaultmodel trains activityd's default model (`make default-model`):
// it extracts MobileNetV2 features from the synthetic clips and scripted
// videos that `activityctl synth` wrote, compares feature modes, trains a
// many-to-many recurrent classifier, evaluates it on held-out clips and
// scripted videos against a bag-of-frames baseline, and writes the model and
// its report. See docs/default-model.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/activityd/activityd/rnn"
	"github.com/activityd/activityd/synth"
)

func main() {
	var o options
	flag.StringVar(&o.work, "work", "var/default-model", "folder holding the generated data (clips-train, clips-test, scripted-train, scripted-test) and the feature cache")
	flag.StringVar(&o.out, "out", "models/default", "output folder: model.safetensors and its report")
	flag.StringVar(&o.stateDir, "state-dir", "", "also look for installed backbones in STATE_DIR/models")
	flag.StringVar(&o.modes, "modes", "global,grid", "feature modes to measure (global, grid); the best one is kept")
	flag.IntVar(&o.grid, "grid", 3, "cells per side in grid mode")
	flag.StringVar(&o.engine, "engine", "auto", "backbone engine: auto, onnxruntime or opencv")
	flag.StringVar(&o.cell, "cell", "gru", "recurrent cell: rnn, gru or lstm")
	flag.IntVar(&o.hidden, "hidden", 64, "hidden size (with -motion: the motion layer's size, 2 or 4 x motion)")
	flag.IntVar(&o.epochs, "epochs", 30, "maximum epochs")
	flag.IntVar(&o.bptt, "bptt", 30, "steps per unrolled chunk")
	flag.Float64Var(&o.lr, "lr", 0.003, "Adam learning rate")
	flag.Float64Var(&o.fps, "fps", 5, "analysis rate, frames per second")
	flag.Int64Var(&o.seed, "seed", 1, "seed of the validation split, the initial weights and the batch order")
	flag.IntVar(&o.subset, "subset", 0, "use only the first N training and N/2 test clips of each class (0: all)")
	flag.IntVar(&o.motion, "motion", 32, "directions of the built motion layer under the trained GRU (0: one trained layer on the raw features)")
	flag.Float64Var(&o.trend, "trend", 0, "with -motion: also a leaky average of each projection over about TREND analysed frames, and units for the projection against it, which the trained layer sees (0: none)")
	flag.IntVar(&o.spin, "spin", 0, "with -motion: make 2 x SPIN of the directions span the planes in which the features turn during rotate_cw and rotate_ccw")
	flag.BoolVar(&o.seeA, "see-projections", false, "let the trained layer also see the motion layer's projections A_k, not only their changes B_k")
	flag.BoolVar(&o.lda, "lda", true, "make the first motion directions discriminant ones (one per class), the rest principal components")
	flag.IntVar(&o.scripts, "scripts", 0, "use only the first N training scripted videos (0: all)")
	flag.BoolVar(&o.probe, "probe", false, "only the linear probes on the clips (with -subset N: N clips per class)")
	flag.BoolVar(&o.compareOnly, "compare-only", false, "measure the modes and cells, do not write OUT")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	o.modeList = strings.Split(o.modes, ",")
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "defaultmodel:", err)
		os.Exit(2)
	}
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "defaultmodel:", err)
		os.Exit(1)
	}
}

// check refuses flags that cannot build a motion layer, before any video
// is read.
func (o options) check() error {
	if o.trend < 0 || o.spin < 0 || o.motion < 0 {
		return fmt.Errorf("-motion %d, -trend %g, -spin %d: none may be negative", o.motion, o.trend, o.spin)
	}
	lda := 0
	if o.lda {
		lda = len(synth.Classes())
	}
	if o.motion > 0 && rnn.Cell(o.cell) != rnn.CellGRU {
		return fmt.Errorf("-motion needs -cell gru (the motion layer is a GRU layer; a model has one cell type)")
	}
	if o.motion > 0 && lda+2*o.spin > o.motion {
		return fmt.Errorf("-motion %d has no room for %d discriminant directions and 2 x -spin %d", o.motion, lda, o.spin)
	}
	return nil
}
