// Package dataset turns labelled videos into the feature sequences that
// package train fits: it reads the folder-per-class layout and the segment
// CSV, decodes each video once with GoCV at the model's analysis rate,
// runs the configured backbone on the sampled frames and caches the
// vectors on disk, keyed by backbone, feature mode and rate, so that a
// second run decodes nothing.
package dataset
