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
}

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
	return m
}
