//go:build matprofile

package ingest

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// TestMain, built with -tags matprofile, fails the run when any Mat created
// by the tests or by the code under test is still open at the end.
func TestMain(m *testing.M) {
	code := m.Run()
	if n := gocv.MatProfile.Count(); n != 0 {
		var b strings.Builder
		_ = gocv.MatProfile.WriteTo(&b, 1)
		fmt.Fprintf(os.Stderr, "%d Mats still open after the tests:\n%s\n", n, b.String())
		code = 1
	} else {
		fmt.Fprintln(os.Stderr, "matprofile: 0 Mats open after the tests")
	}
	os.Exit(code)
}
