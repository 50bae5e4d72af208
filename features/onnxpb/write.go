package onnxpb

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Dim is one dimension of a tensor shape: a fixed size, or a symbolic one
// (Param) such as the batch size.
type Dim struct {
	Value int64
	Param string
}

// ValueInfo names a typed tensor: a graph input, output or intermediate.
type ValueInfo struct {
	Name  string
	Elem  int32
	Shape []Dim
}

// Attr is one node attribute. Exactly one of the value fields is used,
// chosen by Kind.
type Attr struct {
	Name   string
	Kind   int
	F      float32
	I      int64
	S      string
	Floats []float32
	Ints   []int64
}

// AttrInt returns an integer attribute.
func AttrInt(name string, v int64) Attr { return Attr{Name: name, Kind: attrTypeInt, I: v} }

// AttrInts returns an integer-list attribute.
func AttrInts(name string, v ...int64) Attr { return Attr{Name: name, Kind: attrTypeInts, Ints: v} }

// AttrFloat returns a float attribute.
func AttrFloat(name string, v float32) Attr { return Attr{Name: name, Kind: attrTypeFloat, F: v} }

// AttrString returns a string attribute.
func AttrString(name, v string) Attr { return Attr{Name: name, Kind: attrTypeString, S: v} }

// Node is one operator application.
type Node struct {
	Name    string
	Op      string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// Tensor is a float32 initialiser (a weight).
type Tensor struct {
	Name string
	Dims []int64
	Data []float32
}

// Model is what Marshal writes: one graph and its metadata.
type Model struct {
	IRVersion       int64
	Opset           int64
	ProducerName    string
	ProducerVersion string
	Doc             string
	GraphName       string
	Nodes           []Node
	Initializers    []Tensor
	Inputs          []ValueInfo
	Outputs         []ValueInfo
	ValueInfo       []ValueInfo
	Metadata        [][2]string
}

// Marshal encodes m as an ONNX ModelProto.
func Marshal(m *Model) []byte {
	var g []byte
	for i := range m.Nodes {
		g = appendMsg(g, graphNode, marshalNode(&m.Nodes[i]))
	}
	g = appendString(g, graphName, m.GraphName)
	for i := range m.Initializers {
		g = appendMsg(g, graphInitializer, marshalTensor(&m.Initializers[i]))
	}
	for _, v := range m.Inputs {
		g = appendMsg(g, graphInput, marshalValueInfo(v))
	}
	for _, v := range m.Outputs {
		g = appendMsg(g, graphOutput, marshalValueInfo(v))
	}
	for _, v := range m.ValueInfo {
		g = appendMsg(g, graphValueInfo, marshalValueInfo(v))
	}

	var b []byte
	b = protowire.AppendTag(b, modelIRVersion, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(m.IRVersion))
	b = appendString(b, modelProducerName, m.ProducerName)
	b = appendString(b, modelProducerVer, m.ProducerVersion)
	if m.Doc != "" {
		b = appendString(b, modelDocString, m.Doc)
	}
	b = appendMsg(b, modelGraph, g)
	var op []byte
	op = appendString(op, opsetDomain, "")
	op = protowire.AppendTag(op, opsetVersion, protowire.VarintType)
	op = protowire.AppendVarint(op, uint64(m.Opset))
	b = appendMsg(b, modelOpsetImport, op)
	for _, kv := range m.Metadata {
		var e []byte
		e = appendString(e, entryKey, kv[0])
		e = appendString(e, entryValue, kv[1])
		b = appendMsg(b, modelMetadataProps, e)
	}
	return b
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMsg(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func marshalNode(n *Node) []byte {
	var b []byte
	for _, in := range n.Inputs {
		b = appendString(b, nodeInput, in)
	}
	for _, out := range n.Outputs {
		b = appendString(b, nodeOutput, out)
	}
	b = appendString(b, nodeName, n.Name)
	b = appendString(b, nodeOpType, n.Op)
	for _, a := range n.Attrs {
		b = appendMsg(b, nodeAttribute, marshalAttr(a))
	}
	return b
}

func marshalAttr(a Attr) []byte {
	var b []byte
	b = appendString(b, attrName, a.Name)
	switch a.Kind {
	case attrTypeFloat:
		b = protowire.AppendTag(b, attrF, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case attrTypeInt:
		b = protowire.AppendTag(b, attrI, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.I))
	case attrTypeString:
		b = appendString(b, attrS, a.S)
	case attrTypeFloats:
		for _, f := range a.Floats {
			b = protowire.AppendTag(b, attrFloats, protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	case attrTypeInts:
		for _, v := range a.Ints {
			b = protowire.AppendTag(b, attrInts, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(v))
		}
	}
	b = protowire.AppendTag(b, attrType, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(a.Kind))
}

func marshalTensor(t *Tensor) []byte {
	var b []byte
	for _, d := range t.Dims {
		b = protowire.AppendTag(b, tensorDims, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(d))
	}
	b = protowire.AppendTag(b, tensorDataType, protowire.VarintType)
	b = protowire.AppendVarint(b, Float)
	b = appendString(b, tensorName, t.Name)
	raw := make([]byte, 4*len(t.Data))
	for i, f := range t.Data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return appendMsg(b, tensorRawData, raw)
}

func marshalValueInfo(v ValueInfo) []byte {
	var shape []byte
	for _, d := range v.Shape {
		var db []byte
		if d.Param != "" {
			db = appendString(db, dimParam, d.Param)
		} else {
			db = protowire.AppendTag(db, dimValue, protowire.VarintType)
			db = protowire.AppendVarint(db, uint64(d.Value))
		}
		shape = appendMsg(shape, shapeDim, db)
	}
	var tt []byte
	tt = protowire.AppendTag(tt, tensorTypeElem, protowire.VarintType)
	tt = protowire.AppendVarint(tt, uint64(v.Elem))
	tt = appendMsg(tt, tensorTypeShape, shape)
	var typ []byte
	typ = appendMsg(typ, typeTensor, tt)
	var b []byte
	b = appendString(b, valueName, v.Name)
	return appendMsg(b, valueType, typ)
}
