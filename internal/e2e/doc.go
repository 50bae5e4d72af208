// Package e2e holds the end-to-end test of the default model: a scripted
// synthetic video, the whole daemon with the committed model
// (models/default) and the MobileNetV2 backbone, an embedded NATS server,
// and the frame labels and events checked against the script.
package e2e
