package features

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"gocv.io/x/gocv"
)

// ErrProbe is returned when a model fails its probe in a child process.
var ErrProbe = errors.New("features: model refused")

// ProbeRequest says what to load and run in the probe.
type ProbeRequest struct {
	Path          string
	Width, Height int
	Batch         int
	Outputs       []string
}

// ProbeResult is what the probe saw: the shape of every requested output
// for the requested batch.
type ProbeResult struct {
	Outputs   []ProbeTensor `json:"outputs"`
	ForwardMS float64       `json:"forward_ms"`
}

// ProbeTensor is one output's shape, batch first.
type ProbeTensor struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// Args renders the request as probe command-line flags.
func (r ProbeRequest) Args() []string {
	return []string{"-path", r.Path, "-width", fmt.Sprint(r.Width), "-height", fmt.Sprint(r.Height),
		"-batch", fmt.Sprint(r.Batch), "-outputs", strings.Join(r.Outputs, ",")}
}

// ProbeMain is the child side of a probe (`activityctl models probe`): it
// parses the flags of ProbeRequest.Args, loads the model with OpenCV, runs
// one forward pass and writes a ProbeResult as JSON. A model OpenCV cannot
// handle may abort this process; that is the point of running it apart.
func ProbeMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var req ProbeRequest
	var outs string
	fs.StringVar(&req.Path, "path", "", "ONNX model file")
	fs.IntVar(&req.Width, "width", 224, "input width")
	fs.IntVar(&req.Height, "height", 224, "input height")
	fs.IntVar(&req.Batch, "batch", 1, "batch size")
	fs.StringVar(&outs, "outputs", "", "comma-separated output names")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if outs != "" {
		req.Outputs = strings.Split(outs, ",")
	}
	res, err := runProbe(req)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	_ = json.NewEncoder(stdout).Encode(res)
	return 0
}

func runProbe(req ProbeRequest) (ProbeResult, error) {
	if req.Path == "" || req.Width < 1 || req.Height < 1 || req.Batch < 1 || len(req.Outputs) == 0 {
		return ProbeResult{}, errors.New("probe: -path, -width, -height, -batch and -outputs are required")
	}
	net := gocv.ReadNetFromONNX(req.Path)
	defer net.Close()
	if net.Empty() {
		return ProbeResult{}, fmt.Errorf("probe: OpenCV could not load %s", req.Path)
	}
	blob := gocv.NewMatWithSizesWithScalar([]int{req.Batch, 3, req.Height, req.Width}, gocv.MatTypeCV32F, gocv.NewScalar(0.5, 0.5, 0.5, 0))
	defer blob.Close()
	net.SetInput(blob, "")
	start := time.Now()
	outs := net.ForwardLayers(req.Outputs)
	res := ProbeResult{ForwardMS: float64(time.Since(start).Microseconds()) / 1000}
	for i, o := range outs {
		res.Outputs = append(res.Outputs, ProbeTensor{Name: req.Outputs[i], Shape: o.Size()})
		_ = o.Close()
	}
	return res, nil
}

// Prober runs probes in a child process.
type Prober struct {
	// Command is the child's argv before the probe flags, e.g.
	// ["/usr/bin/activityctl", "models", "probe"].
	Command []string
	// Env is added to the child's environment.
	Env []string
	// Timeout bounds one probe; zero means two minutes.
	Timeout time.Duration
}

// DefaultProber runs `activityctl models probe`, found beside the running
// executable or on PATH.
func DefaultProber() (*Prober, error) {
	var candidates []string
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "activityctl"))
	}
	if p, err := exec.LookPath("activityctl"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return &Prober{Command: []string{c, "models", "probe"}}, nil
		}
	}
	return nil, errors.New("features: activityctl not found beside the daemon or on PATH; it is needed to probe a model safely")
}

// Probe loads and runs the model in a child process and returns what it
// saw, or ErrProbe with the child's last words when it failed or aborted.
func (p *Prober) Probe(ctx context.Context, req ProbeRequest) (ProbeResult, error) {
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	argv := append(append([]string(nil), p.Command...), req.Args()...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), p.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return ProbeResult{}, fmt.Errorf("%w: %s: the probe process failed (%v): %s", ErrProbe, req.Path, err, lastLines(stderr.String()))
	}
	var res ProbeResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || len(res.Outputs) != len(req.Outputs) {
		return ProbeResult{}, fmt.Errorf("%w: %s: the probe process gave no result: %s", ErrProbe, req.Path, lastLines(stderr.String()))
	}
	return res, nil
}

// lastLines picks what names the failure in a child's stderr: OpenCV's
// exception text ("what(): ...") when the child aborted, else its last
// lines.
func lastLines(s string) string {
	var keep []string
	lines := strings.Split(s, "\n")
	for n, l := range lines {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, "what():"); i >= 0 {
			msg := strings.TrimSpace(l[i+len("what():"):])
			// OpenCV continues its message on the next lines, each
			// starting with '>'.
			for _, next := range lines[n+1 : min(n+4, len(lines))] {
				if next = strings.TrimSpace(next); strings.HasPrefix(next, ">") {
					msg += " " + next
				}
			}
			return clip(msg)
		}
		if l != "" {
			keep = append(keep, l)
		}
	}
	if len(keep) > 3 {
		keep = keep[len(keep)-3:]
	}
	if len(keep) == 0 {
		return "no message"
	}
	return clip(strings.Join(keep, " | "))
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}
