package main

import (
	"strings"
	"testing"
)

// TestCheckRefusesImpossibleMotionLayers checks that flags which cannot
// build a motion layer are refused with the flag named, and that the
// recipe's own flags pass.
func TestCheckRefusesImpossibleMotionLayers(t *testing.T) {
	for _, c := range []struct {
		o    options
		want string // "" when the flags are fine
	}{
		{options{cell: "gru", motion: 32, trend: 2, spin: 4, lda: true}, ""},
		{options{cell: "gru", motion: 16, lda: true}, ""},
		{options{cell: "lstm", motion: 0, spin: 9, lda: true}, ""}, // no motion layer: -spin is unused
		{options{cell: "gru", motion: 16, spin: 4, lda: true}, "-motion 16 has no room"},
		{options{cell: "gru", motion: 8, spin: 4}, ""},
		{options{cell: "gru", motion: 32, trend: -1}, "none may be negative"},
		{options{cell: "gru", motion: 32, spin: -2}, "none may be negative"},
		{options{cell: "lstm", motion: 32}, "-motion needs -cell gru"},
	} {
		err := c.o.check()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: refused: %v", c.o, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: error %v, want one with %q", c.o, err, c.want)
		}
	}
}
