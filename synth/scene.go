package synth

import (
	"image"
	"image/color"
	"math"
	"math/rand"

	"gocv.io/x/gocv"
)

// noisePad is how much larger than a frame the noise images are; each frame
// takes a window at a different offset.
const noisePad = 16

// scene is everything around the actor: the background (larger than the
// frame, so that the camera can shake), an optional occluder in front, a
// few bystanders, lighting drift and sensor noise. Its Mats are read-only
// once built.
type scene struct {
	plain        bool
	w, h, margin int
	bg           gocv.Mat // (w+2*margin)×(h+2*margin)
	fg, fgMask   gocv.Mat // occluder layer and its mask, canvas-sized; empty if none
	noisePos     gocv.Mat // (w+noisePad)×(h+noisePad), added
	noiseNeg     gocv.Mat // the same size, subtracted
	bystanders   []bystander
	// per frame
	shake []image.Point // canvas offset of the frame's top-left corner
	grain []image.Point // offset into the noise images
	// lighting: gain(t) = 1 + sum a*sin(2πt/T+φ); bias(t) = b*sin(2πt/T+φ)
	gain [2][3]float64
	bias [3]float64
}

// bystander is an actor that stays where it is, swaying a little.
type bystander struct {
	look actor
	at   pose
	sway float64 // pixels
	freq float64 // Hz
}

func (b *bystander) pose(t float64) pose {
	p := b.at
	p.x += b.sway * math.Sin(2*math.Pi*b.freq*t)
	p.angle += 0.03 * math.Sin(2*math.Pi*b.freq*0.7*t)
	return p
}

// newScene builds the scene for a video of n frames. plain gives a flat
// grey background and nothing else; photos, when given, are the image files
// backgrounds are cropped from.
func newScene(rng *rand.Rand, w, h, fps, n int, st stage, plain bool, photos []string) (*scene, error) {
	s := &scene{plain: plain, w: w, h: h, shake: make([]image.Point, n), grain: make([]image.Point, n)}
	if plain {
		s.bg = gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), h, w, gocv.MatTypeCV8UC3)
		return s, nil
	}
	u := st.unit
	s.margin = int(math.Ceil(3*u)) + 1
	var err error
	if s.bg, err = background(rng, w+2*s.margin, h+2*s.margin, photos); err != nil {
		return nil, err
	}
	if rng.Float64() < 0.5 {
		if err := s.addOccluder(rng, st.rmin); err != nil {
			s.close()
			return nil, err
		}
	}
	// Bystanders: none in half the videos, one or two in the rest.
	nb := 0
	if k := rng.Float64(); k > 0.5 {
		nb = 1
		if k > 0.85 {
			nb = 2
		}
	}
	for i := 0; i < nb; i++ {
		p := freshPose(st, rng)
		p.r = uniform(rng, st.rmin, 0.5*(st.rmin+st.rmax))
		xlo, xhi := st.span(st.w, p.r)
		ylo, yhi := st.span(st.h, p.r)
		p.x, p.y = clamp(p.x, xlo, xhi), clamp(p.y, ylo, yhi)
		s.bystanders = append(s.bystanders, bystander{look: newActor(rng), at: p, sway: uniform(rng, 0.3, 1.2) * u, freq: uniform(rng, 0.2, 0.8)})
	}
	// Sensor noise: a Gaussian image split into what is added and what is
	// subtracted, since the frames are unsigned bytes.
	sigma := uniform(rng, 1.5, 6)
	nw, nh := w+noisePad, h+noisePad
	pos, neg := make([]byte, 3*nw*nh), make([]byte, 3*nw*nh)
	for i := range pos {
		v := rng.NormFloat64() * sigma
		if v > 0 {
			pos[i] = byte(math.Min(v+0.5, 255))
		} else {
			neg[i] = byte(math.Min(-v+0.5, 255))
		}
	}
	if s.noisePos, err = matFromBytes(nh, nw, pos); err != nil {
		s.close()
		return nil, err
	}
	if s.noiseNeg, err = matFromBytes(nh, nw, neg); err != nil {
		s.close()
		return nil, err
	}
	// Lighting drift: a slow swell, a faster flicker, a slow offset.
	s.gain[0] = [3]float64{uniform(rng, 0.03, 0.12), uniform(rng, 4, 12), uniform(rng, 0, 2*math.Pi)}
	s.gain[1] = [3]float64{uniform(rng, 0, 0.04), uniform(rng, 0.8, 3), uniform(rng, 0, 2*math.Pi)}
	s.bias = [3]float64{uniform(rng, 0, 12), uniform(rng, 5, 15), uniform(rng, 0, 2*math.Pi)}
	// Camera shake: two sways and a per-frame jitter, within the margin.
	a1, f1, p1 := uniform(rng, 0.3, 1.5)*u, uniform(rng, 0.2, 1), uniform(rng, 0, 2*math.Pi)
	a2, f2, p2 := uniform(rng, 0, 0.8)*u, uniform(rng, 2, 6), uniform(rng, 0, 2*math.Pi)
	m := float64(s.margin)
	for i := range s.shake {
		t := float64(i) / float64(fps)
		dx := a1*math.Sin(2*math.Pi*f1*t+p1) + a2*math.Sin(2*math.Pi*f2*t+p2) + 0.3*u*rng.NormFloat64()
		dy := a1*math.Cos(2*math.Pi*f1*0.8*t+p1) + a2*math.Sin(2*math.Pi*f2*1.3*t+p2) + 0.3*u*rng.NormFloat64()
		s.shake[i] = image.Pt(s.margin+int(math.Round(clamp(dx, -m, m))), s.margin+int(math.Round(clamp(dy, -m, m))))
		s.grain[i] = image.Pt(rng.Intn(noisePad+1), rng.Intn(noisePad+1))
	}
	return s, nil
}

func matFromBytes(rows, cols int, b []byte) (gocv.Mat, error) {
	tmp, err := gocv.NewMatFromBytes(rows, cols, gocv.MatTypeCV8UC3, b)
	if err != nil {
		return gocv.Mat{}, err
	}
	m := tmp.Clone()
	tmp.Close()
	return m, nil
}

// addOccluder paints something in front of the actor: a pole, a bush, a
// fence or a crate.
func (s *scene) addOccluder(rng *rand.Rand, rmin float64) error {
	cw, ch := s.bg.Cols(), s.bg.Rows()
	// Wood, stone or leaves: browns to greens, darker than most scenes.
	tex := texture(rng, cw, ch, palette(rng, uniform(rng, 20, 120), 25, 0.2, 0.6, 0.15, 0.55))
	fg, err := matFromBytes(ch, cw, tex.pix)
	if err != nil {
		return err
	}
	s.fg = fg
	s.fgMask = gocv.NewMatWithSize(ch, cw, gocv.MatTypeCV8U)
	s.fgMask.SetTo(gocv.NewScalar(0, 0, 0, 0))
	white := color.RGBA{255, 255, 255, 255}
	W, H := float64(cw), float64(ch)
	x := uniform(rng, 0.1, 0.9) * W
	// Sizes are in units of the smallest actor's radius, so that the
	// occluder can hide part of an actor but never all of it: the actor
	// keeps a margin from the frame's edges, and no solid part is as wide
	// or, at the bottom, as tall as the smallest actor.
	r := rmin
	switch rng.Intn(4) {
	case 0: // pole, thinner than a stick figure's body is wide
		hw := math.Max(1, uniform(rng, 0.1, 0.2)*r)
		gocv.Rectangle(&s.fgMask, image.Rect(int(x-hw), 0, int(x+hw), ch), white, -1)
	case 1: // bush
		for k := 0; k < 6; k++ {
			c := image.Pt(int(x+uniform(rng, -0.12, 0.12)*W), int(H-uniform(rng, 0, 0.3)*r))
			ax := image.Pt(int(uniform(rng, 0.7, 1.5)*r), int(uniform(rng, 0.6, 1.3)*r))
			gocv.Ellipse(&s.fgMask, c, ax, 0, 0, 360, white, -1)
		}
	case 2: // fence: bars and a rail across part of the frame
		x0, x1 := uniform(rng, 0, 0.4)*W, uniform(rng, 0.6, 1)*W
		bar := math.Max(2, uniform(rng, 0.2, 0.4)*r)
		gap := uniform(rng, 2.5, 5) * r
		top := uniform(rng, 0.45, 0.75) * H
		for bx := x0; bx < x1; bx += gap {
			gocv.Rectangle(&s.fgMask, image.Rect(int(bx), int(top), int(bx+bar), ch), white, -1)
		}
		ry := top + uniform(rng, 0.05, 0.15)*H
		gocv.Rectangle(&s.fgMask, image.Rect(int(x0), int(ry), int(x1), int(ry+bar)), white, -1)
	default: // crate standing on the bottom edge
		hw, hh := uniform(rng, 1.5, 4)*r, uniform(rng, 0.8, 1.4)*r
		gocv.Rectangle(&s.fgMask, image.Rect(int(x-hw), int(H-hh), int(x+hw), ch), white, -1)
	}
	return nil
}

// frame composes frame i at time t into dst: background window, then
// bystanders, then draw (the actor), then the occluder, lighting and noise.
func (s *scene) frame(i int, t float64, dst *gocv.Mat, draw func(canvas)) {
	if s.plain {
		s.bg.CopyTo(dst)
		draw(canvas{img: dst})
		return
	}
	o := s.shake[i]
	win := image.Rect(o.X, o.Y, o.X+s.w, o.Y+s.h)
	bg := s.bg.Region(win)
	bg.CopyTo(dst)
	bg.Close()
	c := canvas{img: dst, dx: float64(o.X - s.margin), dy: float64(o.Y - s.margin)}
	for k := range s.bystanders {
		b := &s.bystanders[k]
		b.look.draw(c, b.pose(t))
	}
	draw(c)
	if s.fg.Ptr() != nil {
		fg, mask := s.fg.Region(win), s.fgMask.Region(win)
		fg.CopyToWithMask(dst, mask)
		fg.Close()
		mask.Close()
	}
	gain := 1.0
	for _, g := range s.gain {
		gain += g[0] * math.Sin(2*math.Pi*t/g[1]+g[2])
	}
	bias := s.bias[0] * math.Sin(2*math.Pi*t/s.bias[1]+s.bias[2])
	dst.ConvertToWithParams(dst, gocv.MatTypeCV8UC3, float32(gain), float32(bias))
	g := s.grain[i]
	nwin := image.Rect(g.X, g.Y, g.X+s.w, g.Y+s.h)
	np, nn := s.noisePos.Region(nwin), s.noiseNeg.Region(nwin)
	gocv.Add(*dst, np, dst)
	gocv.Subtract(*dst, nn, dst)
	np.Close()
	nn.Close()
}

func (s *scene) close() {
	for _, m := range []*gocv.Mat{&s.bg, &s.fg, &s.fgMask, &s.noisePos, &s.noiseNeg} {
		if m.Ptr() != nil {
			m.Close()
		}
	}
}
