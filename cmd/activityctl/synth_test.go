package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSynthFlagErrors(t *testing.T) {
	out := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--clips", "1"}, "--out DIR is required"},
		{[]string{"--out", out}, "--clips N"},
		{[]string{"--clips", "2", "--scripted", "--out", out}, "exclude each other"},
		{[]string{"--clips", "0", "--out", out}, "--clips 0"},
		{[]string{"--scripted", "--videos", "0", "--out", out}, "--videos 0"},
		{[]string{"--clips", "1", "--fps", "0", "--out", out}, "--fps 0"},
		{[]string{"--clips", "1", "--seconds", "0", "--out", out}, "--seconds 0"},
		{[]string{"--clips", "1", "--workers", "0", "--out", out}, "--workers 0"},
		{[]string{"--clips", "1", "--size", "320by240", "--out", out}, `size "320by240": want WIDTHxHEIGHT`},
		{[]string{"--clips", "1", "--size", "321x240", "--out", out}, "even"},
		{[]string{"--clips", "1", "--classes", "idle,jump", "--out", out}, `unknown class "jump"`},
		{[]string{"--scripted", "--min-segment", "6", "--out", out}, "segment length"},
		{[]string{"--clips", "1", "--out", out, "extra"}, `unexpected argument "extra"`},
		{[]string{"--frames", "3"}, "flag provided but not defined"},
		{[]string{"--clips", "1", "--backgrounds", t.TempDir(), "--out", out}, "no .jpg, .jpeg or .png files"},
	} {
		var log bytes.Buffer
		err := synthMain(context.Background(), tc.args, &log)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) > 0 {
		t.Errorf("bad flags wrote %d entries into --out", len(entries))
	}
}

func TestSynthWritesClips(t *testing.T) {
	out := filepath.Join(t.TempDir(), "set")
	var log bytes.Buffer
	args := []string{"--clips", "1", "--classes", "idle,move_left", "--seconds", "1", "--fps", "5", "--size", "64x48", "--seed", "3", "--out", out}
	if err := synthMain(context.Background(), args, &log); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"idle/idle_0000.mp4", "move_left/move_left_0000.mp4"} {
		if st, err := os.Stat(filepath.Join(out, p)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	if !strings.Contains(log.String(), "wrote 2 clips (2 classes x 1)") || !strings.Contains(log.String(), "10 frames of 64x48 at 5 fps") {
		t.Errorf("summary: %q", log.String())
	}
}

func TestSynthWritesScripted(t *testing.T) {
	out := t.TempDir()
	var log bytes.Buffer
	args := []string{"--scripted", "--videos", "1", "--seconds", "6", "--fps", "5", "--size", "64x48", "--out", out}
	if err := synthMain(context.Background(), args, &log); err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile(filepath.Join(out, "segments.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if lines[0] != "video,start_s,end_s,label" || len(lines) < 3 || !strings.HasPrefix(lines[1], "scripted_000.mp4,0.000,") ||
		!strings.Contains(lines[len(lines)-1], ",6.000,") {
		t.Errorf("segments.csv:\n%s", csv)
	}
}
