package synth

import (
	"image"
	"image/color"
	"math"
	"math/rand"

	"gocv.io/x/gocv"
)

// The kinds of actor.
const (
	kindPolygon = iota // a filled polygon: triangle to octagon, star, arrow, cross
	kindBall           // a striped ball
	kindCar            // a side view of a car
	kindStick          // a stick figure
)

// shift is the number of fractional bits in the points given to OpenCV's
// drawing functions: positions move by 1/16 pixel, not in whole-pixel jumps.
const shift = 4

// actor is how something looks; where it is comes from a pose.
type actor struct {
	kind  int
	shape []vec // polygon outline, unit radius, for kindPolygon
	// fold is the order of the actor's rotational symmetry, ignoring its
	// small mark (a hexagon looks the same turned by 360/6 degrees): it
	// caps how fast the actor may rotate (see plan).
	fold             int
	fill, edge, mark color.RGBA
}

type vec struct{ x, y float64 }

// mid returns the point a fraction k of the way from v to u.
func (v vec) mid(u vec, k float64) vec { return vec{v.x + k*(u.x-v.x), v.y + k*(u.y-v.y)} }

func randomColor(rng *rand.Rand) color.RGBA {
	return hsv(uniform(rng, 0, 360), uniform(rng, 0.45, 1), uniform(rng, 0.45, 1))
}

// hsv converts hue (degrees), saturation and value (0..1) to a colour.
func hsv(h, s, v float64) color.RGBA {
	c := v * s
	hp := math.Mod(h/60, 6)
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch int(hp) {
	case 0:
		r, g = c, x
	case 1:
		r, g = x, c
	case 2:
		g, b = c, x
	case 3:
		g, b = x, c
	case 4:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := v - c
	return color.RGBA{R: uint8(255 * (r + m)), G: uint8(255 * (g + m)), B: uint8(255 * (b + m)), A: 255}
}

func luma(c color.RGBA) float64 { return 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B) }

// contrast returns a dark or a light colour, whichever stands out on c.
func contrast(c color.RGBA, rng *rand.Rand) color.RGBA {
	if luma(c) > 110 {
		v := uint8(uniform(rng, 10, 50))
		return color.RGBA{v, v, v, 255}
	}
	v := uint8(uniform(rng, 210, 250))
	return color.RGBA{v, v, v, 255}
}

func newActor(rng *rand.Rand) actor {
	hue := uniform(rng, 0, 360)
	a := actor{fill: hsv(hue, uniform(rng, 0.45, 1), uniform(rng, 0.45, 1))}
	a.edge = contrast(a.fill, rng)
	// The mark is the outline's colour or a hue far from the fill's.
	a.mark = a.edge
	if rng.Intn(2) == 0 {
		a.mark = hsv(math.Mod(hue+uniform(rng, 120, 240), 360), 1, 1)
	}
	switch u := rng.Float64(); {
	case u < 0.35:
		a.kind = kindPolygon
		a.shape, a.fold = randomShape(rng)
	case u < 0.5:
		a.kind, a.fold = kindBall, 2 // the stripe
	case u < 0.7:
		a.kind, a.fold = kindCar, 1
	default:
		a.kind, a.fold = kindStick, 1
	}
	return a
}

// randomShape returns a polygon of unit radius, turned at random, and the
// order of its rotational symmetry.
func randomShape(rng *rand.Rand) ([]vec, int) {
	var pts []vec
	fold := 1
	switch rng.Intn(4) {
	case 0: // regular polygon, 3 to 8 sides
		n := 3 + rng.Intn(6)
		fold = n
		for i := 0; i < n; i++ {
			a := 2 * math.Pi * float64(i) / float64(n)
			pts = append(pts, vec{math.Cos(a), math.Sin(a)})
		}
	case 1: // star
		n := 4 + rng.Intn(3)
		fold = n
		inner := uniform(rng, 0.4, 0.6)
		for i := 0; i < 2*n; i++ {
			a := math.Pi * float64(i) / float64(n)
			k := 1.0
			if i%2 == 1 {
				k = inner
			}
			pts = append(pts, vec{k * math.Cos(a), k * math.Sin(a)})
		}
	case 2: // arrow
		pts = []vec{{1, 0}, {0.1, -0.7}, {0.1, -0.3}, {-0.9, -0.3}, {-0.9, 0.3}, {0.1, 0.3}, {0.1, 0.7}}
	default: // cross, or a plus, with arms of random width
		w := uniform(rng, 0.25, 0.4)
		fold = 4
		pts = []vec{{1, -w}, {1, w}, {w, w}, {w, 1}, {-w, 1}, {-w, w}, {-1, w}, {-1, -w}, {-w, -w}, {-w, -1}, {w, -1}, {w, -w}}
	}
	s, c := math.Sincos(uniform(rng, 0, 2*math.Pi))
	for i, p := range pts {
		pts[i] = vec{p.x*c - p.y*s, p.x*s + p.y*c}
	}
	return pts, fold
}

// canvas draws on a Mat with positions in float pixels, offset by the
// camera's shake.
type canvas struct {
	img    *gocv.Mat
	dx, dy float64 // subtracted from every position
}

func (c canvas) pt(p vec) image.Point {
	return image.Pt(int(math.Round((p.x-c.dx)*(1<<shift))), int(math.Round((p.y-c.dy)*(1<<shift))))
}

func (c canvas) poly(pts []vec, col color.RGBA) {
	ip := make([]image.Point, len(pts))
	for i, p := range pts {
		ip[i] = c.pt(p)
	}
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{ip})
	gocv.FillPolyWithParams(c.img, pv, col, gocv.LineAA, shift, image.Point{})
	pv.Close()
}

func (c canvas) disk(p vec, r float64, col color.RGBA) {
	if r < 0.5 {
		r = 0.5
	}
	gocv.CircleWithParams(c.img, c.pt(p), int(math.Round(r*(1<<shift))), col, -1, gocv.LineAA, shift)
}

// limb draws a thick segment with round ends.
func (c canvas) limb(a, b vec, width float64, col color.RGBA) {
	w := math.Max(width, 1.2) / 2
	d := vec{b.x - a.x, b.y - a.y}
	l := math.Hypot(d.x, d.y)
	if l > 1e-6 {
		n := vec{-d.y / l * w, d.x / l * w}
		c.poly([]vec{{a.x + n.x, a.y + n.y}, {b.x + n.x, b.y + n.y}, {b.x - n.x, b.y - n.y}, {a.x - n.x, a.y - n.y}}, col)
	}
	c.disk(a, w, col)
	c.disk(b, w, col)
}

// place maps a point of the actor's unit frame to world pixels.
func place(p pose, v vec) vec {
	s, co := math.Sincos(p.angle)
	return vec{p.x + p.r*(v.x*co-v.y*s), p.y + p.r*(v.x*s+v.y*co)}
}

func placeAll(p pose, vs []vec, scale float64) []vec {
	out := make([]vec, len(vs))
	for i, v := range vs {
		out[i] = place(p, vec{v.x * scale, v.y * scale})
	}
	return out
}

// draw renders the actor at pose p.
func (a *actor) draw(c canvas, p pose) {
	switch a.kind {
	case kindPolygon:
		c.poly(placeAll(p, a.shape, 1), a.edge)
		c.poly(placeAll(p, a.shape, 0.82), a.fill)
		c.disk(place(p, a.shape[0]).mid(place(p, vec{}), 0.45), 0.14*p.r, a.mark)
	case kindBall:
		c.disk(place(p, vec{}), p.r, a.edge)
		c.disk(place(p, vec{}), 0.88*p.r, a.fill)
		c.poly(placeAll(p, []vec{{-0.86, -0.16}, {0.86, -0.16}, {0.86, 0.16}, {-0.86, 0.16}}, 1), a.mark)
		c.disk(place(p, vec{0, 0.55}), 0.15*p.r, a.mark)
	case kindCar:
		a.drawCar(c, p)
	case kindStick:
		a.drawStick(c, p)
	}
}

func (a *actor) drawCar(c canvas, p pose) {
	body := []vec{{-1, -0.2}, {0.95, -0.2}, {1, 0.05}, {0.95, 0.3}, {-1, 0.3}}
	cabin := []vec{{-0.55, -0.2}, {-0.4, -0.62}, {0.25, -0.62}, {0.5, -0.2}}
	window := []vec{{-0.42, -0.24}, {-0.32, -0.54}, {0.2, -0.54}, {0.38, -0.24}}
	c.poly(placeAll(p, cabin, 1), a.fill)
	c.poly(placeAll(p, window, 1), color.RGBA{200, 225, 240, 255})
	c.poly(placeAll(p, body, 1), a.fill)
	c.disk(place(p, vec{0.93, 0.02}), 0.08*p.r, color.RGBA{250, 230, 90, 255})
	turn := p.stride / math.Max(0.22*p.r, 1)
	for _, x := range []float64{-0.6, 0.6} {
		hub := vec{x, 0.32}
		c.disk(place(p, hub), 0.24*p.r, color.RGBA{25, 25, 25, 255})
		c.disk(place(p, hub), 0.11*p.r, color.RGBA{170, 170, 170, 255})
		s, co := math.Sincos(turn)
		c.disk(place(p, vec{hub.x + 0.17*co, hub.y + 0.17*s}), 0.04*p.r, a.mark)
	}
}

func (a *actor) drawStick(c canvas, p pose) {
	w := 0.11 * p.r
	phase := p.stride / math.Max(0.5*p.r, 1)
	swing := 0.45 * math.Sin(phase)
	hip, shoulder, neck := vec{0, 0.12}, vec{0, -0.38}, vec{0, -0.52}
	leg := func(a float64) vec { return vec{hip.x + 0.82*math.Sin(a), hip.y + 0.82*math.Cos(a)} }
	arm := func(a float64) vec { return vec{shoulder.x + 0.6*math.Sin(a), shoulder.y + 0.6*math.Cos(a)} }
	pl := func(v vec) vec { return place(p, v) }
	c.limb(pl(hip), pl(leg(0.25+swing)), w, a.edge)
	c.limb(pl(hip), pl(leg(-0.25-swing)), w, a.edge)
	c.limb(pl(shoulder), pl(arm(0.5-swing)), w, a.edge)
	c.limb(pl(shoulder), pl(arm(-0.5+swing)), w, a.edge)
	c.limb(pl(hip), pl(neck), 2.2*w, a.fill)
	c.disk(pl(vec{0, -0.74}), 0.22*p.r, a.edge)
	c.disk(pl(vec{0, -0.74}), 0.17*p.r, a.fill)
	c.disk(pl(vec{0.08, -0.78}), 0.05*p.r, a.mark)
}
