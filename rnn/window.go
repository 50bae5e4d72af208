package rnn

// Windower runs a many-to-one model over a live stream with sliding
// windows of Window frames started every Stride frames. It keeps one
// running state per window offset (ceil(Window/Stride) of them), each reset
// when its window starts, so no window is recomputed from scratch; the first
// layer's input projection is computed once per frame and shared by all of
// them. It belongs to one stream's goroutine.
type Windower struct {
	m      *Model
	slots  []windowSlot
	gi0    []float32
	x      []float32
	frame  int // frames pushed since the last reset
	window int
	stride int
}

type windowSlot struct {
	s      *State
	n      int // frames in the current window
	active bool
	logits []float32
}

// NewWindower returns a Windower for m. A many-to-many model gets a window
// of one frame.
func NewWindower(m *Model) *Windower {
	win, stride := m.Window, m.Stride
	if !m.IsManyToOne() || win < 1 {
		win, stride = 1, 1
	}
	if stride < 1 || stride > win {
		stride = win
	}
	k := (win + stride - 1) / stride
	w := &Windower{m: m, window: win, stride: stride,
		gi0: make([]float32, m.Cell.Gates()*m.HiddenSize), x: make([]float32, m.InputSize)}
	for range k {
		w.slots = append(w.slots, windowSlot{s: m.NewState(), logits: make([]float32, m.Classes())})
	}
	return w
}

// Reset drops every open window, as after a discontinuity.
func (w *Windower) Reset() {
	w.frame = 0
	for i := range w.slots {
		w.slots[i].active = false
	}
}

// Push feeds one frame's features. When a window ends on this frame it
// writes that window's class distribution into probs and returns true.
// It does not allocate.
func (w *Windower) Push(x []float32, probs []float32) bool {
	m := w.m
	if w.frame%w.stride == 0 {
		sl := &w.slots[(w.frame/w.stride)%len(w.slots)]
		sl.s.Reset()
		sl.n, sl.active = 0, true
		clear(sl.logits)
	}
	w.frame++
	in := m.standardise(w.x, x)
	matVec(w.gi0, m.Layers[0].Wih, in, m.Layers[0].Bih)
	done := false
	for i := range w.slots {
		sl := &w.slots[i]
		if !sl.active {
			continue
		}
		logits := m.stepProjected(sl.s, w.gi0)
		sl.n++
		if m.Head == HeadMean {
			for j, v := range logits {
				sl.logits[j] += v
			}
		} else {
			copy(sl.logits, logits)
		}
		if sl.n == w.window {
			if m.Head == HeadMean {
				for j := range sl.logits {
					sl.logits[j] /= float32(w.window)
				}
			}
			Softmax(probs, sl.logits)
			sl.active, done = false, true
		}
	}
	return done
}
