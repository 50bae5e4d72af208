// Package rnn is the recurrent classifier: immutable weights shared by all
// streams (Model) and a hidden state owned by each stream (State), advanced
// one analysed frame at a time by a pure-Go float32 step that does not
// allocate (AVX2+FMA dot products on amd64).
//
// Models are RNN, GRU or LSTM cells, stacked, with a linear head and
// optional input standardisation, stored as one safetensors file with
// PyTorch's tensor names and layouts (Load, Save; docs/model-format.md).
// Many-to-many models label every step; many-to-one models label windows,
// which a Windower slides over a live stream with one running state per
// window offset. States snapshot to bytes and back.
package rnn
