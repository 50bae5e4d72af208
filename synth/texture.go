package synth

import (
	"image/color"
	"math"
	"math/rand"
)

// field is a w×h grid of values in 0..1.
type field struct {
	w, h int
	v    []float64
}

func (f *field) at(x, y int) float64 { return f.v[y*f.w+x] }

// fbm returns fractal value noise: octaves of random lattices, each twice as
// fine and half as strong as the one before, smoothly interpolated. cellsX
// and cellsY set the coarsest lattice across the whole field (different
// values stretch the texture).
func fbm(rng *rand.Rand, w, h int, cellsX, cellsY float64, octaves int) *field {
	f := &field{w: w, h: h, v: make([]float64, w*h)}
	amp, total := 1.0, 0.0
	for o := 0; o < octaves; o++ {
		cx, cy := cellsX*float64(int(1)<<o), cellsY*float64(int(1)<<o)
		gw, gh := int(cx)+2, int(cy)+2
		lat := make([]float64, gw*gh)
		for i := range lat {
			lat[i] = rng.Float64()
		}
		sx, sy := cx/float64(w), cy/float64(h)
		for y := 0; y < h; y++ {
			fy := float64(y) * sy
			y0 := int(fy)
			ty := smooth(fy - float64(y0))
			row0, row1 := lat[y0*gw:], lat[(y0+1)*gw:]
			for x := 0; x < w; x++ {
				fx := float64(x) * sx
				x0 := int(fx)
				tx := smooth(fx - float64(x0))
				top := row0[x0] + tx*(row0[x0+1]-row0[x0])
				bot := row1[x0] + tx*(row1[x0+1]-row1[x0])
				f.v[y*w+x] += amp * (top + ty*(bot-top))
			}
		}
		total += amp
		amp /= 2
	}
	for i := range f.v {
		f.v[i] /= total
	}
	return f
}

func smooth(t float64) float64 { return t * t * (3 - 2*t) }

// stretch maps the middle of a field's typical range (about 0.25..0.75) to
// 0..1, since averaged octaves cluster around 0.5.
func stretch(v float64) float64 { return clamp((v-0.25)*2, 0, 1) }

// rgb is a colour with float channels for blending.
type rgb struct{ r, g, b float64 }

func toRGB(c color.RGBA) rgb { return rgb{float64(c.R), float64(c.G), float64(c.B)} }

func (c rgb) lerp(d rgb, t float64) rgb {
	return rgb{c.r + t*(d.r-c.r), c.g + t*(d.g-c.g), c.b + t*(d.b-c.b)}
}

func (c rgb) scale(k float64) rgb { return rgb{c.r * k, c.g * k, c.b * k} }

func (c rgb) rgba() color.RGBA {
	b := func(v float64) uint8 { return uint8(clamp(math.Round(v), 0, 255)) }
	return color.RGBA{b(c.r), b(c.g), b(c.b), 255}
}

// image3 is a BGR pixel buffer, the layout of a CV_8UC3 Mat.
type image3 struct {
	w, h int
	pix  []byte
}

func newImage3(w, h int) *image3 { return &image3{w: w, h: h, pix: make([]byte, 3*w*h)} }

func (m *image3) set(x, y int, c rgb) {
	i := 3 * (y*m.w + x)
	b := func(v float64) byte { return byte(clamp(math.Round(v), 0, 255)) }
	m.pix[i], m.pix[i+1], m.pix[i+2] = b(c.b), b(c.g), b(c.r)
}
