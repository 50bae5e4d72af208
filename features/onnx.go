package features

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gocv.io/x/gocv"

	"github.com/activityd/activityd/features/onnxpb"
)

// Feature modes: what an ONNX backbone's extractor returns.
const (
	// ModeGlobal returns the output flattened (a pooled vector).
	ModeGlobal = "global"
	// ModeGrid returns a spatial map averaged over GxG cells, channel-major:
	// v[c*G*G + gy*G + gx].
	ModeGrid = "grid"
	// ModeMap returns the whole spatial map, C*H*W values.
	ModeMap = "map"
)

// ErrClosed is returned by an extractor whose backbone has been closed.
var ErrClosed = errors.New("features: backbone closed")

// ONNXConfig describes an ONNX backbone served by OpenCV's DNN module.
type ONNXConfig struct {
	// Name identifies the backbone in extractor names.
	Name string
	Path string
	// Width and Height are the network input size.
	Width, Height int
	// Each input value is ((pixel - Mean[c]) * Scale) / Std[c], in the
	// channel order the model wants (RGB when SwapRB is set, since frames
	// are BGR).
	Scale  float64
	Mean   [3]float64
	Std    [3]float64
	SwapRB bool
	// Output names the output tensor the features are read from.
	Output string
	// Mode is ModeGlobal, ModeGrid or ModeMap; Grid is G for ModeGrid.
	Mode string
	Grid int
	// BatchSize is the most frames of different streams run in one
	// forward pass; BatchWait is how long a partial batch waits for more.
	BatchSize int
	BatchWait time.Duration
	// Trusted skips the child-process probe: set it only for files whose
	// digest is known (a converted backbone checked against its manifest).
	Trusted bool
	// Prober runs the probe; nil means DefaultProber.
	Prober *Prober
	// Sessions is how many engines run batches in parallel. 0 is auto:
	// one single-thread session per core (or per Threads cores when
	// Threads is set) on ONNX Runtime, one net on OpenCV.
	Sessions int
	// Engine is EngineOpenCV (the default), EngineORT or EngineAuto;
	// RuntimeLib is the ONNX Runtime library and Threads its intra-op
	// threads (0: one per core).
	Engine     string
	RuntimeLib string
	Threads    int
	// Observe, when set, is told the size and the forward time of every
	// batch (for metrics). It is called from the batching goroutines.
	Observe func(batch int, forward time.Duration)
}

func (c *ONNXConfig) check() error {
	var errs []error
	if c.Width < 1 || c.Height < 1 || c.Width > 4096 || c.Height > 4096 {
		errs = append(errs, fmt.Errorf("input size %dx%d is out of range", c.Width, c.Height))
	}
	if c.Scale == 0 {
		errs = append(errs, errors.New("scale is zero"))
	}
	for i, s := range c.Std {
		if s == 0 {
			errs = append(errs, fmt.Errorf("std[%d] is zero", i))
		}
	}
	if c.Output == "" {
		errs = append(errs, errors.New("no output name"))
	}
	switch c.Mode {
	case ModeGlobal, ModeMap:
	case ModeGrid:
		if c.Grid < 1 || c.Grid > 64 {
			errs = append(errs, fmt.Errorf("grid %d is out of range", c.Grid))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown feature mode %q", c.Mode))
	}
	if c.Sessions < 0 || c.Sessions > 16 {
		errs = append(errs, fmt.Errorf("sessions %d is out of range", c.Sessions))
	}
	if c.BatchSize < 1 || c.BatchSize > 64 {
		errs = append(errs, fmt.Errorf("batch size %d is out of range", c.BatchSize))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("features: %s: %w", c.Path, err)
	}
	return nil
}

// ONNX is a backbone network shared by every stream: extractors hand it
// frames, and one goroutine runs them in batches of up to BatchSize frames
// and routes each vector back to its stream.
type ONNX struct {
	cfg      ONNXConfig
	eng      engine
	dim      int
	outShape []int // without the batch dimension
	lut      [3][256]float32
	// srcCh[c] is the channel of a BGR pixel that feeds input plane c.
	srcCh [3]int

	reqs     chan *request
	stop     chan struct{}
	done     chan struct{}
	attached atomic.Int32
	once     sync.Once
	frames   atomic.Int64
	passes   atomic.Int64

	// lanes run in parallel, each with its own engine (a session or a
	// net) and its own batching goroutine; eng is lanes[0].eng.
	lanes []*lane
	wg    sync.WaitGroup
}

// lane is one batching goroutine and what it owns.
type lane struct {
	eng     engine
	resized gocv.Mat
	batch   []*request
}

// engine runs the network. input returns the reused NCHW input memory for
// a batch of n; forward runs that batch and returns the output, valid
// until the next call, with its shape (batch first).
type engine interface {
	name() string
	input(n int) ([]float32, error)
	forward(n int) ([]float32, error)
	// outShape is the shape of the last forward's output, batch first.
	outShape() []int
	close()
}

// cvEngine runs the network with OpenCV's DNN module.
type cvEngine struct {
	net    gocv.Net
	output string
	shape  [3]int     // C, H, W of the input
	blobs  []gocv.Mat // blobs[n-1] holds a batch of n
	out    gocv.Mat   // the last output, closed on the next pass
	// fallback says why ONNX Runtime was not used under engine auto.
	fallback string
}

func newCVEngine(path, output string, c, h, w, maxBatch int) (*cvEngine, error) {
	e := &cvEngine{output: output, shape: [3]int{c, h, w}, blobs: make([]gocv.Mat, maxBatch)}
	e.net = gocv.ReadNetFromONNX(path)
	if e.net.Empty() {
		_ = e.net.Close()
		return nil, fmt.Errorf("features: OpenCV could not load %s", path)
	}
	_ = e.net.SetPreferableBackend(gocv.NetBackendOpenCV)
	_ = e.net.SetPreferableTarget(gocv.NetTargetCPU)
	return e, nil
}

func (e *cvEngine) name() string { return "opencv" }

func (e *cvEngine) blob(n int) gocv.Mat {
	if e.blobs[n-1].Ptr() == nil {
		e.blobs[n-1] = gocv.NewMatWithSizesWithScalar([]int{n, e.shape[0], e.shape[1], e.shape[2]}, gocv.MatTypeCV32F, gocv.NewScalar(0, 0, 0, 0))
	}
	return e.blobs[n-1]
}

func (e *cvEngine) input(n int) ([]float32, error) {
	b := e.blob(n)
	return b.DataPtrFloat32()
}

func (e *cvEngine) outShape() []int { return e.out.Size() }

func (e *cvEngine) forward(n int) ([]float32, error) {
	if e.out.Ptr() != nil {
		_ = e.out.Close()
	}
	e.net.SetInput(e.blob(n), "")
	e.out = e.net.Forward(e.output)
	res, err := e.out.DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("features: output %s: %w", e.output, err)
	}
	return res, nil
}

func (e *cvEngine) close() {
	if e.out.Ptr() != nil {
		_ = e.out.Close()
	}
	_ = e.net.Close()
	for i := range e.blobs {
		if e.blobs[i].Ptr() != nil {
			_ = e.blobs[i].Close()
		}
	}
}

type request struct {
	img  gocv.Mat
	dst  []float32
	err  error
	done chan struct{}
}

// OpenONNX checks the model file, probes it in a child process unless it
// is trusted, loads it and starts its batcher. A file that is not a
// well-formed ONNX model, whose input does not match the configured size,
// that lacks the output, or that OpenCV cannot run, is refused with an
// error; the calling process never aborts.
func OpenONNX(ctx context.Context, cfg ONNXConfig) (*ONNX, error) {
	if cfg.Name == "" {
		cfg.Name = strings.TrimSuffix(filepath.Base(cfg.Path), filepath.Ext(cfg.Path))
	}
	if cfg.BatchWait <= 0 {
		cfg.BatchWait = 5 * time.Millisecond
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if err := checkFile(cfg); err != nil {
		return nil, err
	}
	if !cfg.Trusted {
		prober := cfg.Prober
		if prober == nil {
			var err error
			if prober, err = DefaultProber(); err != nil {
				return nil, err
			}
		}
		res, err := prober.Probe(ctx, ProbeRequest{Path: cfg.Path, Width: cfg.Width, Height: cfg.Height,
			Batch: cfg.BatchSize, Outputs: []string{cfg.Output}})
		if err != nil {
			return nil, err
		}
		if s := res.Outputs[0].Shape; len(s) == 0 || s[0] != cfg.BatchSize {
			return nil, fmt.Errorf("%w: %s: output %s has shape %v for a batch of %d", ErrProbe, cfg.Path, cfg.Output, s, cfg.BatchSize)
		}
	}
	b := &ONNX{cfg: cfg, reqs: make(chan *request), stop: make(chan struct{}), done: make(chan struct{})}
	auto := cfg.Sessions == 0 && cfg.Engine != "" && cfg.Engine != EngineOpenCV
	if auto {
		// One single-thread ONNX Runtime session per core: on two cores
		// this serves 1.37x the frames of one two-thread session (four
		// streams, BenchmarkORTSessions4Streams).
		b.cfg.Threads = max(cfg.Threads, 1)
		b.cfg.Sessions = max(runtime.NumCPU()/b.cfg.Threads, 1)
	}
	for i := 0; i < max(b.cfg.Sessions, 1); i++ {
		eng, err := openEngine(b.cfg)
		if err != nil {
			b.release()
			return nil, err
		}
		b.lanes = append(b.lanes, &lane{eng: eng, resized: gocv.NewMat()})
		if _, cv := eng.(*cvEngine); cv && auto {
			// auto fell back to OpenCV, whose thread pool is process-wide:
			// one net.
			break
		}
	}
	b.eng = b.lanes[0].eng
	b.setupLUT()
	if err := b.discoverShape(); err != nil {
		b.release()
		return nil, err
	}
	for _, l := range b.lanes {
		b.wg.Add(1)
		go b.loop(l)
	}
	go func() {
		b.wg.Wait()
		close(b.done)
	}()
	return b, nil
}

// checkFile reads the model's structure and compares it with the config
// before OpenCV sees it.
func checkFile(cfg ONNXConfig) error {
	data, err := os.ReadFile(cfg.Path)
	if err != nil {
		return fmt.Errorf("features: backbone: %w", err)
	}
	info, err := onnxpb.Inspect(data)
	if err != nil {
		return fmt.Errorf("features: %s: %w", cfg.Path, err)
	}
	if info.Nodes == 0 {
		return fmt.Errorf("features: %s: the graph has no nodes", cfg.Path)
	}
	if len(info.Inputs) != 1 {
		return fmt.Errorf("features: %s: the model has %d inputs; a backbone takes one image", cfg.Path, len(info.Inputs))
	}
	in := info.Inputs[0]
	if len(in.Shape) != 4 {
		return fmt.Errorf("features: %s: input %s has shape %s; a backbone takes NCHW images", cfg.Path, in.Name, onnxpb.String(in.Shape))
	}
	want := []int64{3, int64(cfg.Height), int64(cfg.Width)}
	for i, d := range in.Shape[1:] {
		if d.Param == "" && d.Value != 0 && d.Value != want[i] {
			return fmt.Errorf("features: %s: input %s has shape %s but the configured input is [N 3 %d %d] (model.input_size)",
				cfg.Path, in.Name, onnxpb.String(in.Shape), cfg.Height, cfg.Width)
		}
	}
	if _, ok := info.Tensors[cfg.Output]; !ok {
		var names []string
		for _, o := range info.Outputs {
			names = append(names, o.Name)
		}
		return fmt.Errorf("features: %s: no output layer %q (graph outputs: %s)", cfg.Path, cfg.Output, strings.Join(names, ", "))
	}
	return nil
}

func (b *ONNX) setupLUT() {
	b.srcCh = [3]int{0, 1, 2}
	if b.cfg.SwapRB {
		b.srcCh = [3]int{2, 1, 0}
	}
	for c := 0; c < 3; c++ {
		// Mean and Std are given in the model's channel order.
		for v := 0; v < 256; v++ {
			b.lut[c][v] = float32((float64(v) - b.cfg.Mean[c]) * b.cfg.Scale / b.cfg.Std[c])
		}
	}
}

// discoverShape runs one frame to learn the output shape and the vector
// length of the mode.
func (b *ONNX) discoverShape() error {
	if _, err := b.eng.input(1); err != nil {
		return err
	}
	if _, err := b.eng.forward(1); err != nil {
		return err
	}
	size := b.eng.outShape()
	if len(size) < 2 || size[0] != 1 {
		return fmt.Errorf("features: %s: output %s has shape %v", b.cfg.Path, b.cfg.Output, size)
	}
	b.outShape = size[1:]
	n := 1
	for _, d := range b.outShape {
		n *= d
	}
	switch b.cfg.Mode {
	case ModeGlobal, ModeMap:
		b.dim = n
	case ModeGrid:
		if len(b.outShape) != 3 {
			return fmt.Errorf("features: %s: feature_mode grid needs a spatial output (N,C,H,W); %s is %v",
				b.cfg.Path, b.cfg.Output, size)
		}
		if b.cfg.Grid > b.outShape[1] || b.cfg.Grid > b.outShape[2] {
			return fmt.Errorf("features: %s: grid %d is finer than the %dx%d map", b.cfg.Path, b.cfg.Grid, b.outShape[1], b.outShape[2])
		}
		b.dim = b.outShape[0] * b.cfg.Grid * b.cfg.Grid
	}
	if b.cfg.Mode == ModeMap && len(b.outShape) != 3 {
		return fmt.Errorf("features: %s: feature_mode map needs a spatial output (N,C,H,W); %s is %v", b.cfg.Path, b.cfg.Output, size)
	}
	return nil
}

// Name identifies the backbone and the feature mode.
func (b *ONNX) Name() string {
	if b.cfg.Mode == ModeGrid {
		return fmt.Sprintf("%s:grid%d", b.cfg.Name, b.cfg.Grid)
	}
	return b.cfg.Name + ":" + b.cfg.Mode
}

// Dim is the length of the vectors the extractors write.
func (b *ONNX) Dim() int { return b.dim }

// OutputShape is the shape of the output read, without the batch.
func (b *ONNX) OutputShape() []int { return append([]int(nil), b.outShape...) }

// Stats returns how many frames went through the network and in how many
// forward passes.
func (b *ONNX) Stats() (frames, passes int64) { return b.frames.Load(), b.passes.Load() }

// NewExtractor returns an extractor for one stream.
func (b *ONNX) NewExtractor() (Extractor, error) {
	select {
	case <-b.stop:
		return nil, ErrClosed
	default:
	}
	b.attached.Add(1)
	return &onnxExtractor{b: b, req: request{done: make(chan struct{}, 1)}}, nil
}

// Close stops the batcher and releases the network. Extractors still
// attached return ErrClosed.
func (b *ONNX) Close() error {
	b.once.Do(func() {
		close(b.stop)
		<-b.done
		b.release()
	})
	return nil
}

func (b *ONNX) release() {
	for _, l := range b.lanes {
		l.eng.close()
		_ = l.resized.Close()
	}
}

// Engine names what runs the network: "opencv" or "onnxruntime".
func (b *ONNX) Engine() string { return b.eng.name() }

// Sessions is the number of engines running batches in parallel.
func (b *ONNX) Sessions() int { return len(b.lanes) }

// Fallback says why engine auto did not use ONNX Runtime ("" if it did, or
// if another engine was asked for).
func (b *ONNX) Fallback() string {
	if cv, ok := b.eng.(*cvEngine); ok {
		return cv.fallback
	}
	return ""
}

func (b *ONNX) loop(l *lane) {
	defer b.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var first *request
		select {
		case first = <-b.reqs:
		case <-b.stop:
			return
		}
		l.batch = append(l.batch[:0], first)
		if b.cfg.BatchSize > 1 && b.attached.Load() > 1 {
			timer.Reset(b.cfg.BatchWait)
		collect:
			for len(l.batch) < b.cfg.BatchSize && int32(len(l.batch)) < b.attached.Load() {
				select {
				case r := <-b.reqs:
					l.batch = append(l.batch, r)
				case <-timer.C:
					break collect
				case <-b.stop:
					break collect
				}
			}
			timer.Stop()
		}
		err := b.run(l, l.batch)
		b.frames.Add(int64(len(l.batch)))
		b.passes.Add(1)
		for _, r := range l.batch {
			r.err = err
			r.done <- struct{}{}
		}
	}
}

// run preprocesses the batch straight into the reused blob, runs one
// forward pass and writes each frame's vector to its destination.
func (b *ONNX) run(l *lane, batch []*request) error {
	n := len(batch)
	data, err := l.eng.input(n)
	if err != nil {
		return fmt.Errorf("features: %w", err)
	}
	per := 3 * b.cfg.Width * b.cfg.Height
	for i, r := range batch {
		if err := b.prepare(l, r.img, data[i*per:(i+1)*per]); err != nil {
			return err
		}
	}
	t0 := time.Now()
	res, err := l.eng.forward(n)
	if err != nil {
		return err
	}
	if b.cfg.Observe != nil {
		b.cfg.Observe(n, time.Since(t0))
	}
	size := 1
	for _, d := range b.outShape {
		size *= d
	}
	if len(res) != n*size {
		return fmt.Errorf("features: output %s holds %d values for a batch of %d, want %d each", b.cfg.Output, len(res), n, size)
	}
	for i, r := range batch {
		b.reduce(res[i*size:(i+1)*size], r.dst)
	}
	return nil
}

// prepare resizes img (when needed) and writes it into one NCHW plane set
// of the blob: one pass over the pixels does the channel swap, mean, scale
// and std through a lookup table.
func (b *ONNX) prepare(l *lane, img gocv.Mat, dst []float32) error {
	src := img
	if img.Cols() != b.cfg.Width || img.Rows() != b.cfg.Height || !img.IsContinuous() {
		gocv.Resize(img, &l.resized, image.Pt(b.cfg.Width, b.cfg.Height), 0, 0, gocv.InterpolationLinear)
		src = l.resized
	}
	px, err := src.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("features: %w", err)
	}
	plane := b.cfg.Width * b.cfg.Height
	if len(px) < 3*plane {
		return errors.New("features: frame smaller than its size says")
	}
	p0, p1, p2 := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	l0, l1, l2 := &b.lut[0], &b.lut[1], &b.lut[2]
	s0, s1, s2 := b.srcCh[0], b.srcCh[1], b.srcCh[2]
	for i := 0; i < plane; i++ {
		pix := px[3*i : 3*i+3 : 3*i+3]
		p0[i] = l0[pix[s0]]
		p1[i] = l1[pix[s1]]
		p2[i] = l2[pix[s2]]
	}
	return nil
}

// reduce turns one frame's output into its feature vector.
func (b *ONNX) reduce(out, dst []float32) {
	if b.cfg.Mode != ModeGrid {
		copy(dst, out)
		return
	}
	c, h, w, g := b.outShape[0], b.outShape[1], b.outShape[2], b.cfg.Grid
	for ch := 0; ch < c; ch++ {
		m := out[ch*h*w : (ch+1)*h*w]
		for gy := 0; gy < g; gy++ {
			y0, y1 := gy*h/g, (gy+1)*h/g
			for gx := 0; gx < g; gx++ {
				x0, x1 := gx*w/g, (gx+1)*w/g
				var sum float32
				for y := y0; y < y1; y++ {
					for _, v := range m[y*w+x0 : y*w+x1] {
						sum += v
					}
				}
				dst[(ch*g+gy)*g+gx] = sum / float32((y1-y0)*(x1-x0))
			}
		}
	}
}

// onnxExtractor is one stream's view of a shared ONNX backbone.
type onnxExtractor struct {
	b      *ONNX
	req    request
	closed bool
}

func (e *onnxExtractor) Name() string { return e.b.Name() }
func (e *onnxExtractor) Dim() int     { return e.b.dim }

// Extract hands the frame to the batcher and waits for its vector.
func (e *onnxExtractor) Extract(img gocv.Mat, dst []float32) error {
	if e.closed {
		return ErrClosed
	}
	if len(dst) < e.b.dim {
		return fmt.Errorf("features: destination holds %d values, %s needs %d", len(dst), e.b.Name(), e.b.dim)
	}
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return errors.New("features: backbone needs a non-empty 8-bit BGR image")
	}
	e.req.img, e.req.dst = img, dst[:e.b.dim]
	select {
	case e.b.reqs <- &e.req:
	case <-e.b.stop:
		return ErrClosed
	}
	<-e.req.done
	e.req.img = gocv.Mat{}
	return e.req.err
}

// Parallel is how many frames the backbone runs at once (its sessions): a
// stream may keep that many in extraction, each with its own extractor.
func (e *onnxExtractor) Parallel() int { return len(e.b.lanes) }

func (e *onnxExtractor) Close() error {
	if !e.closed {
		e.closed = true
		e.b.attached.Add(-1)
	}
	return nil
}

// Throughput runs every frame through every session at once, one frame
// per pass, and returns the forward passes per second of all sessions
// together: the frames run divided by the longest time a session spent in
// forward passes (preprocessing is left out, as in TimeForward). It is for
// benchmarks: call it while no extractor is in use.
func (b *ONNX) Throughput(frames []gocv.Mat) (float64, error) {
	spent := make([]time.Duration, len(b.lanes))
	errs := make([]error, len(b.lanes))
	var wg sync.WaitGroup
	for i, l := range b.lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, f := range frames {
				in, err := l.eng.input(1)
				if err == nil {
					err = b.prepare(l, f, in[:3*b.cfg.Width*b.cfg.Height])
				}
				if err != nil {
					errs[i] = err
					return
				}
				start := time.Now()
				if _, err := l.eng.forward(1); err != nil {
					errs[i] = err
					return
				}
				spent[i] += time.Since(start)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return float64(len(frames)*len(b.lanes)) / slices.Max(spent).Seconds(), nil
}

// TimeForward preprocesses each frame into the input and times the
// forward passes alone, one frame per pass, returning the seconds spent in
// them. It is for benchmarks: call it while no extractor is in use.
func (b *ONNX) TimeForward(frames []gocv.Mat) (float64, error) {
	var total time.Duration
	for _, f := range frames {
		in, err := b.eng.input(1)
		if err != nil {
			return 0, err
		}
		if err := b.prepare(b.lanes[0], f, in[:3*b.cfg.Width*b.cfg.Height]); err != nil {
			return 0, err
		}
		start := time.Now()
		if _, err := b.eng.forward(1); err != nil {
			return 0, err
		}
		total += time.Since(start)
	}
	return total.Seconds(), nil
}
