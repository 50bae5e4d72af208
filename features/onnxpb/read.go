package onnxpb

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrMalformed is returned for bytes that are not a well-formed ONNX model.
var ErrMalformed = errors.New("onnxpb: not a well-formed ONNX model")

// Info is what Inspect learns of a model file without running it.
type Info struct {
	IRVersion int64
	// Opset is the version of the default ("" or "ai.onnx") domain.
	Opset int64
	// Inputs are the graph inputs that are not initialisers.
	Inputs []ValueInfo
	// Outputs are the declared graph outputs.
	Outputs []ValueInfo
	// Tensors maps every node output to its declared shape, when the file
	// declares one (value_info or output), else to nil.
	Tensors map[string][]Dim
	// Ops counts the nodes of each operator type.
	Ops      map[string]int
	Nodes    int
	Metadata map[string]string
}

// Inspect decodes the structure of an ONNX ModelProto: it walks every
// message it needs and reports truncation or a malformed field as
// ErrMalformed. Weights are skipped, not decoded.
func Inspect(data []byte) (*Info, error) {
	info := &Info{Tensors: map[string][]Dim{}, Ops: map[string]int{}, Metadata: map[string]string{}}
	var graph []byte
	haveGraph := false
	err := Walk(data, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == modelIRVersion && typ == protowire.VarintType:
			info.IRVersion = int64(x)
		case num == modelGraph && typ == protowire.BytesType:
			graph, haveGraph = v, true
		case num == modelOpsetImport && typ == protowire.BytesType:
			var domain string
			var ver int64
			if err := Walk(v, func(n protowire.Number, t protowire.Type, vv []byte, xx uint64) error {
				if n == opsetDomain && t == protowire.BytesType {
					domain = string(vv)
				}
				if n == opsetVersion && t == protowire.VarintType {
					ver = int64(xx)
				}
				return nil
			}); err != nil {
				return err
			}
			if domain == "" || domain == "ai.onnx" {
				info.Opset = ver
			}
		case num == modelMetadataProps && typ == protowire.BytesType:
			var k, val string
			if err := Walk(v, func(n protowire.Number, t protowire.Type, vv []byte, _ uint64) error {
				if t == protowire.BytesType && n == entryKey {
					k = string(vv)
				}
				if t == protowire.BytesType && n == entryValue {
					val = string(vv)
				}
				return nil
			}); err != nil {
				return err
			}
			info.Metadata[k] = val
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !haveGraph {
		return nil, fmt.Errorf("%w: no graph", ErrMalformed)
	}
	if err := inspectGraph(graph, info); err != nil {
		return nil, err
	}
	return info, nil
}

func inspectGraph(g []byte, info *Info) error {
	inits := map[string]bool{}
	var inputs []ValueInfo
	err := Walk(g, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case graphNode:
			info.Nodes++
			var op string
			var outs []string
			if err := Walk(v, func(n protowire.Number, t protowire.Type, vv []byte, _ uint64) error {
				if t == protowire.BytesType && n == nodeOpType {
					op = string(vv)
				}
				if t == protowire.BytesType && n == nodeOutput {
					outs = append(outs, string(vv))
				}
				return nil
			}); err != nil {
				return err
			}
			info.Ops[op]++
			for _, o := range outs {
				if _, ok := info.Tensors[o]; !ok {
					info.Tensors[o] = nil
				}
			}
		case graphInitializer:
			return Walk(v, func(n protowire.Number, t protowire.Type, vv []byte, _ uint64) error {
				if t == protowire.BytesType && n == tensorName {
					inits[string(vv)] = true
				}
				return nil
			})
		case graphInput, graphOutput, graphValueInfo:
			vi, err := readValueInfo(v)
			if err != nil {
				return err
			}
			switch num {
			case graphInput:
				inputs = append(inputs, vi)
			case graphOutput:
				info.Outputs = append(info.Outputs, vi)
				info.Tensors[vi.Name] = vi.Shape
			default:
				info.Tensors[vi.Name] = vi.Shape
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, in := range inputs {
		if !inits[in.Name] {
			info.Inputs = append(info.Inputs, in)
		}
	}
	return nil
}

func readValueInfo(b []byte) (ValueInfo, error) {
	var vi ValueInfo
	err := Walk(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case valueName:
			vi.Name = string(v)
		case valueType:
			return Walk(v, func(n protowire.Number, t protowire.Type, tv []byte, _ uint64) error {
				if n != typeTensor || t != protowire.BytesType {
					return nil
				}
				return Walk(tv, func(n protowire.Number, t protowire.Type, sv []byte, x uint64) error {
					if n == tensorTypeElem && t == protowire.VarintType {
						vi.Elem = int32(x)
					}
					if n == tensorTypeShape && t == protowire.BytesType {
						vi.Shape = []Dim{}
						return Walk(sv, func(n protowire.Number, t protowire.Type, dv []byte, _ uint64) error {
							if n != shapeDim || t != protowire.BytesType {
								return nil
							}
							var d Dim
							err := Walk(dv, func(n protowire.Number, t protowire.Type, v []byte, x uint64) error {
								if n == dimValue && t == protowire.VarintType {
									d.Value = int64(x)
								}
								if n == dimParam && t == protowire.BytesType {
									d.Param = string(v)
								}
								return nil
							})
							vi.Shape = append(vi.Shape, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	return vi, err
}

// Walk calls fn for every field of one protobuf message: v holds a length-delimited
// field's bytes, x a varint or fixed field's value.
func Walk(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
		}
		b = b[n:]
		var (
			v []byte
			x uint64
		)
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var u uint32
			u, n = protowire.ConsumeFixed32(b)
			x = uint64(u)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%w: field %d: %v", ErrMalformed, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// String formats a shape like [N 3 224 224].
func String(s []Dim) string {
	out := "["
	for i, d := range s {
		if i > 0 {
			out += " "
		}
		if d.Param != "" {
			out += d.Param
		} else {
			out += fmt.Sprint(d.Value)
		}
	}
	return out + "]"
}
