// Package onnxpb writes and reads the few ONNX protobuf messages activityd
// needs, field by field with protowire: a graph of nodes, initialisers and
// typed inputs and outputs when converting a backbone, and a structural
// check (inputs, outputs, shapes, opset) before a model file is served.
// It is not a general ONNX library.
package onnxpb
