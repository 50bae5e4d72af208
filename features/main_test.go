package features

import (
	"context"
	"os"
	"testing"

	"github.com/activityd/activityd/features/modelstore"
)

// probeEnv makes the test binary act as the probe child.
const probeEnv = "ACTIVITYD_FEATURES_PROBE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(probeEnv) == "1" {
		os.Exit(ProbeMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// testProber re-executes the test binary as the probe child.
func testProber() *Prober {
	return &Prober{Command: []string{os.Args[0]}, Env: []string{probeEnv + "=1"}}
}

// installed returns the converted MobileNetV2, or skips: `make test`
// fetches it first (`make models`).
func installed(t testing.TB) modelstore.Installed {
	t.Helper()
	in, err := modelstore.Find(modelstore.SearchDirs(""), modelstore.MobileNetV2)
	if err != nil {
		t.Skipf("converted backbone not installed (run `make models`): %v", err)
	}
	return in
}

// mobilenetConfig is the built-in backbone's config for one output.
func mobilenetConfig(in modelstore.Installed, output, mode string) ONNXConfig {
	mi := in.Manifest.Input
	return ONNXConfig{Name: in.Manifest.Name, Path: in.Path, Width: mi.Width, Height: mi.Height,
		Scale: mi.Scale, Mean: mi.Mean, Std: mi.Std, SwapRB: mi.SwapRB, Output: output, Mode: mode,
		Grid: 2, BatchSize: 1, Trusted: true}
}

func openONNX(t testing.TB, cfg ONNXConfig) *ONNX {
	t.Helper()
	b, err := OpenONNX(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}
