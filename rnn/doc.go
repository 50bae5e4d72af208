// Package rnn is the recurrent classifier: immutable weights shared by all
// streams (Model) and a hidden state owned by each stream (State), advanced
// one analysed frame at a time by a pure-Go float32 step.
package rnn
