package features

import (
	"errors"
	"fmt"
	"image"

	"gocv.io/x/gocv"
)

// DescriptorName is the backbone name of the built-in descriptor.
const DescriptorName = "descriptor"

const (
	descWork = 32 // side of the working image
	descGrid = 4  // cells per side
	// DescriptorDim is the length of a descriptor vector: mean colour (3)
	// and mean gradient magnitude (1) in each of 4x4 cells.
	DescriptorDim = descGrid * descGrid * 4
)

// Descriptor is a weightless extractor: the mean colour and the mean
// gradient magnitude of each cell of a 4x4 grid. It keeps coarse layout, so
// motion shows as change between frames, and it needs no model file. Its
// Mats are created once and reused.
type Descriptor struct {
	small, gray, grayF, gx, gy, mag, cells gocv.Mat
}

// NewDescriptor returns a descriptor extractor.
func NewDescriptor() *Descriptor {
	return &Descriptor{
		small: gocv.NewMat(), gray: gocv.NewMat(), grayF: gocv.NewMat(),
		gx: gocv.NewMat(), gy: gocv.NewMat(), mag: gocv.NewMat(), cells: gocv.NewMat(),
	}
}

// Name implements Extractor.
func (d *Descriptor) Name() string { return DescriptorName }

// Dim implements Extractor.
func (d *Descriptor) Dim() int { return DescriptorDim }

// Extract implements Extractor.
func (d *Descriptor) Extract(img gocv.Mat, dst []float32) error {
	if len(dst) < DescriptorDim {
		return fmt.Errorf("features: destination holds %d values, descriptor needs %d", len(dst), DescriptorDim)
	}
	if img.Empty() || img.Type() != gocv.MatTypeCV8UC3 {
		return errors.New("features: descriptor needs a non-empty 8-bit BGR image")
	}
	gocv.Resize(img, &d.small, image.Pt(descWork, descWork), 0, 0, gocv.InterpolationArea)

	// Mean colour per cell: an area resize averages exact blocks.
	gocv.Resize(d.small, &d.cells, image.Pt(descGrid, descGrid), 0, 0, gocv.InterpolationArea)
	px, err := d.cells.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("features: %w", err)
	}
	for i, v := range px {
		dst[i] = float32(v) / 255
	}
	n := len(px)

	// Mean gradient magnitude per cell.
	gocv.CvtColor(d.small, &d.gray, gocv.ColorBGRToGray)
	d.gray.ConvertToWithParams(&d.grayF, gocv.MatTypeCV32F, 1.0/255, 0)
	gocv.Sobel(d.grayF, &d.gx, gocv.MatTypeCV32F, 1, 0, 3, 1, 0, gocv.BorderReplicate)
	gocv.Sobel(d.grayF, &d.gy, gocv.MatTypeCV32F, 0, 1, 3, 1, 0, gocv.BorderReplicate)
	gocv.Magnitude(d.gx, d.gy, &d.mag)
	gocv.Resize(d.mag, &d.cells, image.Pt(descGrid, descGrid), 0, 0, gocv.InterpolationArea)
	g, err := d.cells.DataPtrFloat32()
	if err != nil {
		return fmt.Errorf("features: %w", err)
	}
	for i, v := range g {
		dst[n+i] = v / 4 // a Sobel 3x3 magnitude on [0,1] is at most ~5.7
	}
	return nil
}

// Close implements Extractor.
func (d *Descriptor) Close() error {
	for _, m := range []*gocv.Mat{&d.small, &d.gray, &d.grayF, &d.gx, &d.gy, &d.mag, &d.cells} {
		_ = m.Close()
	}
	return nil
}
