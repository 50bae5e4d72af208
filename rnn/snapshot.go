package rnn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrSnapshot is wrapped when a snapshot does not fit the state it is
// restored into.
var ErrSnapshot = errors.New("rnn: bad state snapshot")

const snapMagic = "ARS1"

// MarshalBinary returns a snapshot of the hidden state: a header (magic,
// cell, layers, hidden size) and the float32 values of h (and c for an
// LSTM), little-endian. It implements encoding.BinaryMarshaler.
func (s *State) MarshalBinary() ([]byte, error) {
	n := len(s.h) * s.hidden * (1 + min(len(s.c), 1))
	b := make([]byte, 0, 16+len(s.cell)+4*n)
	b = append(b, snapMagic...)
	b = append(b, byte(len(s.cell)))
	b = append(b, s.cell...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.h)))
	b = binary.LittleEndian.AppendUint32(b, uint32(s.hidden))
	for l := range s.h {
		for _, v := range s.h[l] {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		if s.c != nil {
			for _, v := range s.c[l] {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
		}
	}
	return b, nil
}

// UnmarshalBinary restores a snapshot taken by MarshalBinary from a state
// of the same cell, depth and hidden size. On error s is unchanged.
func (s *State) UnmarshalBinary(b []byte) error {
	if len(b) < 5 || string(b[:4]) != snapMagic {
		return fmt.Errorf("%w: not a snapshot", ErrSnapshot)
	}
	cl := int(b[4])
	if len(b) < 5+cl+8 {
		return fmt.Errorf("%w: truncated header", ErrSnapshot)
	}
	cell := Cell(b[5 : 5+cl])
	p := b[5+cl:]
	layers, hidden := int(binary.LittleEndian.Uint32(p)), int(binary.LittleEndian.Uint32(p[4:]))
	if cell != s.cell || layers != len(s.h) || hidden != s.hidden {
		return fmt.Errorf("%w: snapshot of a %s with %d layers of %d, state is a %s with %d layers of %d",
			ErrSnapshot, cell, layers, hidden, s.cell, len(s.h), s.hidden)
	}
	p = p[8:]
	per := 1
	if s.c != nil {
		per = 2
	}
	if len(p) != 4*layers*hidden*per {
		return fmt.Errorf("%w: %d value bytes, want %d", ErrSnapshot, len(p), 4*layers*hidden*per)
	}
	read := func(dst []float32) {
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(p))
			p = p[4:]
		}
	}
	for l := range s.h {
		read(s.h[l])
		if s.c != nil {
			read(s.c[l])
		}
	}
	return nil
}
