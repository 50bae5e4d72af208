// Package synth renders labelled synthetic activity videos: a textured,
// noisy, slightly shaking and flickering scene in which one actor (a shape,
// a sprite or a stick figure) performs activities that can only be told
// apart over time — moving in a direction, approaching, receding, rotating
// either way, bouncing, or staying put.
//
// Everything is drawn with OpenCV through gocv and driven by math/rand with
// an explicit seed, so the same options give the same frames. It writes
// H.264 MP4 files: single-activity clips in a folder per class (for clip
// classifiers) and long scripted videos with a segments CSV (for per-frame
// classifiers and for ground truth). Tests of other packages use it to make
// small real videos quickly: WriteClip and WriteScripted.
package synth
