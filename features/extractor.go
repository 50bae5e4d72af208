package features

import (
	"errors"
	"fmt"

	"gocv.io/x/gocv"
)

// ErrUnknownBackbone is returned for a backbone name nothing provides.
var ErrUnknownBackbone = errors.New("features: unknown backbone")

// Extractor turns one BGR frame into a feature vector. It is not safe for
// concurrent use: each stream holds its own, or shares one behind a batcher.
type Extractor interface {
	// Name identifies the backbone (and its version) for model metadata.
	Name() string
	// Dim is the length of the vectors Extract writes.
	Dim() int
	// Extract writes the features of img (8-bit BGR) into dst[:Dim()].
	Extract(img gocv.Mat, dst []float32) error
	// Close releases the extractor's resources.
	Close() error
}

// New returns an extractor for the backbone named in config.
func New(backbone string) (Extractor, error) {
	switch backbone {
	case DescriptorName:
		return NewDescriptor(), nil
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownBackbone, backbone, DescriptorName)
}
