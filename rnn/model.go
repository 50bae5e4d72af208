package rnn

import (
	"fmt"
	"math"
	"math/rand"
)

// Cell is a recurrent cell type.
type Cell string

// The cell types, named as in PyTorch's nn.RNN, nn.GRU and nn.LSTM.
const (
	CellRNN  Cell = "rnn"
	CellGRU  Cell = "gru"
	CellLSTM Cell = "lstm"
)

// Gates returns how many blocks of HiddenSize rows the cell's weight
// matrices hold (PyTorch's G).
func (c Cell) Gates() int {
	switch c {
	case CellGRU:
		return 3
	case CellLSTM:
		return 4
	default:
		return 1
	}
}

// Layer holds one recurrent layer's weights in PyTorch's layout: Wih is
// [G*H, In] row-major, Whh is [G*H, H], biases are [G*H].
type Layer struct {
	In                 int
	Wih, Whh, Bih, Bhh []float32
}

// Model is a recurrent classifier. It is immutable once built and shared by
// every stream.
type Model struct {
	Cell       Cell
	InputSize  int
	HiddenSize int
	Layers     []Layer
	// HeadW is [C, H] row-major and HeadB is [C]: the linear head.
	HeadW, HeadB []float32
	Labels       []string
	// Mean and Std, when set, standardise each input feature.
	Mean, Std []float32
	// Name identifies the model in messages.
	Name string

	// Mode says whether the model labels every analysed frame
	// (ModeManyToMany) or windows of Window frames (ModeManyToOne). Empty
	// means many-to-many.
	Mode Mode
	// Head selects, for many-to-one, how a window's distribution is formed:
	// from the last step's logits (HeadLast, the default) or the mean of
	// every step's logits (HeadMean).
	Head Head
	// Window and Stride are the many-to-one window length and the step
	// between window starts, in analysed frames.
	Window, Stride int
	// FPS is the analysis rate the model was trained at (0: unknown).
	FPS float64
	// Backbone and BackboneSHA256 name the feature extractor the model was
	// trained on and, when it is a file, its sha256 (hex).
	Backbone, BackboneSHA256 string
	// FeatureMode names how the backbone's output was turned into vectors
	// (for example "pool"); empty when the backbone has one mode.
	FeatureMode string
}

// Mode is the shape of the problem a model solves.
type Mode string

// The modes, named as in the lecture.
const (
	ModeManyToMany Mode = "many-to-many"
	ModeManyToOne  Mode = "many-to-one"
)

// Head is how a many-to-one window's logits are formed.
type Head string

// The many-to-one heads.
const (
	HeadLast Head = "last"
	HeadMean Head = "mean"
)

// IsManyToOne reports whether the model labels windows rather than frames.
func (m *Model) IsManyToOne() bool { return m.Mode == ModeManyToOne }

// Classes returns the number of classes C.
func (m *Model) Classes() int { return len(m.HeadB) }

// NewRandom returns a model with weights drawn uniformly from
// [-1/sqrt(H), 1/sqrt(H)] like PyTorch's initialisation, from seed.
func NewRandom(cell Cell, inputSize, hiddenSize, numLayers int, labels []string, seed int64) *Model {
	r := rand.New(rand.NewSource(seed))
	k := float32(1 / math.Sqrt(float64(hiddenSize)))
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = (r.Float32()*2 - 1) * k
		}
		return v
	}
	g := cell.Gates()
	m := &Model{Cell: cell, InputSize: inputSize, HiddenSize: hiddenSize, Labels: labels,
		Name: fmt.Sprintf("random-%s-%d", cell, seed)}
	in := inputSize
	for l := 0; l < numLayers; l++ {
		m.Layers = append(m.Layers, Layer{In: in,
			Wih: fill(g * hiddenSize * in), Whh: fill(g * hiddenSize * hiddenSize),
			Bih: fill(g * hiddenSize), Bhh: fill(g * hiddenSize)})
		in = hiddenSize
	}
	m.HeadW = fill(len(labels) * hiddenSize)
	m.HeadB = fill(len(labels))
	m.Mode = ModeManyToMany
	return m
}
