package synth

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	var o Options
	if err := o.Validate(false); err != nil {
		t.Fatal(err)
	}
	if o.Width != 320 || o.Height != 240 || o.FPS != 25 || o.Seconds != 3 || len(o.Classes) != 10 || o.Workers < 1 {
		t.Fatalf("clip defaults %+v", o)
	}
	o = Options{}
	if err := o.Validate(true); err != nil || o.Seconds != 60 || o.MinSegment != 2 || o.MaxSegment != 5 {
		t.Fatalf("scripted defaults %+v, %v", o, err)
	}
}

func TestBadOptions(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		is   error
		want string
	}{
		{Options{Classes: []string{"jump"}}, ErrUnknownClass, `unknown class "jump"`},
		{Options{Classes: []string{Idle, Idle}}, ErrOptions, "twice"},
		{Options{Width: 321, Height: 240}, ErrOptions, "even"},
		{Options{Width: 16, Height: 16}, ErrOptions, "size 16x16"},
		{Options{Width: 320, Height: -2}, ErrOptions, "size"},
		{Options{FPS: -1}, ErrOptions, "fps -1"},
		{Options{FPS: 500}, ErrOptions, "fps 500"},
		{Options{Seconds: -1}, ErrOptions, "seconds -1"},
		{Options{Seconds: 0.01, FPS: 10}, ErrOptions, "not even one frame"},
		{Options{MinSegment: 5, MaxSegment: 2}, ErrOptions, "segment length"},
		{Options{Workers: -3}, ErrOptions, "workers -3"},
	} {
		o := tc.o
		err := o.Validate(true)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %v containing %q", tc.o, err, tc.is, tc.want)
		}
	}
	if _, err := NewClip("walk", Options{}); !errors.Is(err, ErrUnknownClass) {
		t.Errorf("NewClip(walk): %v", err)
	}
}

func TestParseSize(t *testing.T) {
	if w, h, err := ParseSize(" 640X480 "); err != nil || w != 640 || h != 480 {
		t.Fatalf("got %d %d %v", w, h, err)
	}
	for _, s := range []string{"", "320", "320x", "x240", "axb", "320x240x3", "-320x240", "0x0"} {
		if _, _, err := ParseSize(s); !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), "WIDTHxHEIGHT") {
			t.Errorf("ParseSize(%q): %v", s, err)
		}
	}
}

func TestParseClasses(t *testing.T) {
	got, err := ParseClasses("move_left, approach,")
	if err != nil || !reflect.DeepEqual(got, []string{MoveLeft, Approach}) {
		t.Fatalf("got %v %v", got, err)
	}
	if _, err := ParseClasses("idle,jump"); !errors.Is(err, ErrUnknownClass) || !strings.Contains(err.Error(), "move_left") {
		t.Errorf("unknown class: %v (the message should list the known ones)", err)
	}
	if _, err := ParseClasses(" , "); !errors.Is(err, ErrOptions) {
		t.Errorf("empty list: %v", err)
	}
}
