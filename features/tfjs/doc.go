// Package tfjs converts a TensorFlow.js layers model (Keras topology JSON
// plus binary weights, possibly uint8/uint16-quantised, possibly wrapped in
// JavaScript modules as npm packages ship them) into an ONNX file that
// OpenCV's DNN importer and ONNX Runtime both load. It is activityd's own
// converter: it reads the topology, dequantises the weights, reorders
// kernels from TF's HWIO to ONNX's OIHW, folds batch normalisation into the
// convolution before it and writes opset-10 ONNX with protowire.
package tfjs
