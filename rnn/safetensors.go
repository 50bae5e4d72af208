package rnn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrFormat is wrapped by every error about a malformed model or tensor
// file.
var ErrFormat = errors.New("rnn: bad model file")

// maxHeader bounds the JSON header a file may declare (safetensors' own
// limit is 100 MB).
const maxHeader = 100 << 20

// Tensor is one named tensor of a safetensors file, converted to float32.
type Tensor struct {
	Shape []int
	Data  []float32
}

// header entry as written in the file.
type stEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// dtypeSize gives the bytes per element of the dtypes this package reads.
var dtypeSize = map[string]int{"F32": 4, "F16": 2, "BF16": 2, "F64": 8}

// ReadSafetensors parses a safetensors file: an 8-byte little-endian header
// length, a JSON header mapping names to dtype, shape and byte range (and
// "__metadata__" to string pairs), then the raw little-endian data. Float
// tensors (F32, F16, BF16, F64) are converted to float32.
func ReadSafetensors(b []byte) (map[string]Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("%w: %d bytes is shorter than the 8-byte header length", ErrFormat, len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader || n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("%w: header length %d does not fit in a %d-byte file", ErrFormat, n, len(b))
	}
	hdr, data := b[8:8+n], b[8+n:]
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, nil, fmt.Errorf("%w: header is not a JSON object: %v", ErrFormat, err)
	}
	meta := map[string]string{}
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, fmt.Errorf("%w: __metadata__ must map strings to strings: %v", ErrFormat, err)
		}
		delete(raw, "__metadata__")
	}
	out := make(map[string]Tensor, len(raw))
	for name, r := range raw {
		var e stEntry
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("%w: tensor %q: %v", ErrFormat, name, err)
		}
		size, ok := dtypeSize[e.DType]
		if !ok {
			return nil, nil, fmt.Errorf("%w: tensor %q has dtype %q (want F32, F16, BF16 or F64)", ErrFormat, name, e.DType)
		}
		count := int64(1)
		for _, d := range e.Shape {
			if d < 0 || (d > 0 && count > math.MaxInt32/int64(d)) {
				return nil, nil, fmt.Errorf("%w: tensor %q has shape %v", ErrFormat, name, e.Shape)
			}
			count *= int64(d)
		}
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		if lo < 0 || hi < lo || hi > int64(len(data)) {
			return nil, nil, fmt.Errorf("%w: tensor %q: bytes [%d, %d) are outside the %d data bytes (truncated file?)",
				ErrFormat, name, lo, hi, len(data))
		}
		if hi-lo != count*int64(size) {
			return nil, nil, fmt.Errorf("%w: tensor %q: %d bytes for shape %v of %s (want %d)",
				ErrFormat, name, hi-lo, e.Shape, e.DType, count*int64(size))
		}
		out[name] = Tensor{Shape: e.Shape, Data: decodeFloats(data[lo:hi], e.DType, int(count))}
	}
	return out, meta, nil
}

func decodeFloats(b []byte, dtype string, n int) []float32 {
	v := make([]float32, n)
	le := binary.LittleEndian
	for i := range v {
		switch dtype {
		case "F32":
			v[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		case "F64":
			v[i] = float32(math.Float64frombits(le.Uint64(b[8*i:])))
		case "BF16":
			v[i] = math.Float32frombits(uint32(le.Uint16(b[2*i:])) << 16)
		case "F16":
			v[i] = halfToFloat(le.Uint16(b[2*i:]))
		}
	}
	return v
}

// halfToFloat converts an IEEE 754 binary16 value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, nan
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac * 2^-24
		f := float32(frac) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// WriteSafetensors encodes tensors as float32 with metadata, names sorted,
// data packed in name order with no gaps.
func WriteSafetensors(tensors map[string]Tensor, meta map[string]string) ([]byte, error) {
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	hdr := map[string]any{}
	if len(meta) > 0 {
		hdr["__metadata__"] = meta
	}
	var off int64
	for _, n := range names {
		t := tensors[n]
		count := 1
		for _, d := range t.Shape {
			count *= d
		}
		if count != len(t.Data) {
			return nil, fmt.Errorf("rnn: tensor %q: shape %v holds %d values, data has %d", n, t.Shape, count, len(t.Data))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		hdr[n] = stEntry{DType: "F32", Shape: shape, DataOffsets: [2]int64{off, off + int64(4*count)}}
		off += int64(4 * count)
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	// Pad the header with spaces so the data starts 8-byte aligned.
	for (8+len(js))%8 != 0 {
		js = append(js, ' ')
	}
	out := make([]byte, 8, 8+len(js)+int(off))
	binary.LittleEndian.PutUint64(out, uint64(len(js)))
	out = append(out, js...)
	for _, n := range names {
		for _, v := range tensors[n].Data {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	return out, nil
}
