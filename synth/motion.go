package synth

import (
	"math"
	"math/rand"
)

// pose is where the actor is at one instant, in world coordinates: the
// pixels of the steady (unshaken) camera.
type pose struct {
	x, y   float64 // centre
	r      float64 // radius: half the actor's size
	angle  float64 // radians, clockwise on screen
	stride float64 // distance travelled so far: animates legs and wheels
}

// stage is the room the actor has: the frame size and the radius range.
type stage struct {
	w, h       float64
	rmin, rmax float64
	pad        float64 // kept between the actor and the frame's edge
	unit       float64 // one pixel at 320 wide: scales small jitters
}

func newStage(w, h int) stage {
	m := math.Min(float64(w), float64(h))
	return stage{
		w: float64(w), h: float64(h),
		rmin: 0.07 * m, rmax: 0.36 * m, pad: 0.04 * m,
		unit: float64(w) / 320,
	}
}

// span is the range of centre positions along one axis for radius r.
func (s stage) span(dim, r float64) (lo, hi float64) { return r + s.pad, dim - r - s.pad }

// motion is one segment of the actor's script: the pose at its first frame
// and how it changes with time t (seconds since the segment began).
type motion struct {
	label  string
	from   pose
	vx, vy float64 // pixels per second
	grow   float64 // d ln(r) / dt
	spin   float64 // radians per second, clockwise positive
	hopA   float64 // bounce height, pixels
	hopP   float64 // bounce period, seconds (0: no bounce)
	wobA   float64 // wobble amplitude, pixels
	wobF   [3]float64
}

// at returns the pose t seconds into the segment.
func (m *motion) at(t float64) pose {
	p := m.from
	p.x += m.vx*t + m.wobA*math.Sin(2*math.Pi*m.wobF[0]*t)
	p.y += m.vy*t + m.wobA*math.Sin(2*math.Pi*m.wobF[1]*t)
	p.r *= math.Exp(m.grow * t)
	p.angle += m.spin*t + 0.04*math.Sin(2*math.Pi*m.wobF[2]*t)
	if m.hopP > 0 {
		p.y -= m.hopA * math.Abs(math.Sin(math.Pi*t/m.hopP))
	}
	p.stride += math.Hypot(m.vx, m.vy) * t
	return p
}

// Rotation speeds, degrees per second. An actor that looks the same turned
// by 360/fold degrees, seen once per analysed frame, cannot be told turning
// by a from turning by a - 360/fold (the wagon-wheel effect): a hexagon
// turning 240 degrees per second, analysed 5 times a second, is seen
// turning 48 degrees clockwise, or equally 12 counter-clockwise. So the
// turn per analysed frame at analysisFPS stays under 40% of the symmetry
// angle (80% of the 180/fold beyond which the direction is ambiguous).
const (
	minSpin     = 60.0
	maxSpinAll  = 240.0
	analysisFPS = 5.0 // the daemon's and the trainer's default analysis rate
)

// maxSpin is the fastest rotation, degrees per second, for an actor with
// fold-order rotational symmetry.
func maxSpin(fold int) float64 {
	return math.Max(minSpin, math.Min(maxSpinAll, 0.4*360/float64(max(fold, 1))*analysisFPS))
}

func uniform(rng *rand.Rand, lo, hi float64) float64 {
	if hi <= lo {
		return lo
	}
	return lo + rng.Float64()*(hi-lo)
}

func clamp(v, lo, hi float64) float64 {
	if hi < lo {
		return (lo + hi) / 2
	}
	return math.Max(lo, math.Min(hi, v))
}

// freshPose places an actor anywhere on the stage, with a radius whose
// logarithm is uniform in the allowed range.
func freshPose(s stage, rng *rand.Rand) pose {
	r := math.Exp(uniform(rng, math.Log(s.rmin), math.Log(s.rmax)))
	xlo, xhi := s.span(s.w, r)
	ylo, yhi := s.span(s.h, r)
	return pose{x: uniform(rng, xlo, xhi), y: uniform(rng, ylo, yhi), r: r, angle: uniform(rng, -0.25, 0.25)}
}

// plan makes the motion for label lasting dur seconds, starting from p. When
// the activity cannot fit from p (no room left to move that way, already as
// large as allowed, ...) the actor is moved or resized first: a jump at the
// segment's first frame.
//
// fresh says p is a new actor (a clip, or a scripted video's first
// segment): then the start is drawn so that where the actor is and how big
// it is, over the whole segment, are distributed the same for opposite
// classes — move_left clips do not sit on the left of the frame more than
// move_right clips, approach clips are not larger than recede clips — and a
// single frame gives nothing away.
func plan(label string, p pose, dur float64, s stage, rng *rand.Rand, fresh bool, fold int) motion {
	m := motion{label: label}
	m.wobA = uniform(rng, 0.3, 1.2) * s.unit
	m.wobF = [3]float64{uniform(rng, 0.3, 1.1), uniform(rng, 0.3, 1.1), uniform(rng, 0.2, 0.8)}
	// Keep the actor inside the frame whatever happened before.
	p.r = clamp(p.r, s.rmin, s.rmax)
	fit := func(p *pose) {
		xlo, xhi := s.span(s.w, p.r)
		ylo, yhi := s.span(s.h, p.r)
		p.x, p.y = clamp(p.x, xlo, xhi), clamp(p.y, ylo, yhi)
	}
	fit(&p)

	switch label {
	case MoveLeft, MoveRight, MoveUp, MoveDown:
		horizontal := label == MoveLeft || label == MoveRight
		dim, pos := s.h, &p.y
		if horizontal {
			dim, pos = s.w, &p.x
		}
		minSpeed, maxSpeed := 0.07*dim, 0.3*dim
		// Long clips move slower: the travel must fit in the frame.
		minTravel := math.Min(minSpeed*dur, 0.6*(dim-2*s.pad-2*s.rmin))
		if rmax := (dim - 2*s.pad - minTravel) / 2; p.r > rmax {
			p.r = uniform(rng, s.rmin, rmax)
			fit(&p)
		}
		lo, hi := s.span(dim, p.r)
		forward := label == MoveRight || label == MoveDown
		var speed float64
		if fresh {
			// Speed first, then a start drawn uniformly among those from
			// which the whole travel fits: the segment's midpoint is then
			// uniform over the same range for both directions.
			travel := clamp(uniform(rng, minSpeed, maxSpeed)*dur, minTravel, hi-lo)
			if forward {
				*pos = uniform(rng, lo, hi-travel)
			} else {
				*pos = uniform(rng, lo+travel, hi)
			}
			speed = travel / dur
		} else {
			room := *pos - lo
			if forward {
				room = hi - *pos
			}
			if room < minTravel {
				if forward {
					*pos = uniform(rng, lo, hi-minTravel)
				} else {
					*pos = uniform(rng, lo+minTravel, hi)
				}
				room = *pos - lo
				if forward {
					room = hi - *pos
				}
			}
			speed = math.Min(uniform(rng, minSpeed, maxSpeed), room/dur)
		}
		if !forward {
			speed = -speed
		}
		// A little sideways drift, if there is room for it.
		side := uniform(rng, -0.12, 0.12) * math.Abs(speed)
		if horizontal {
			m.vx, m.vy = speed, side
			if lo, hi := s.span(s.h, p.r); p.y+side*dur < lo || p.y+side*dur > hi {
				m.vy = 0
			}
		} else {
			m.vx, m.vy = side, speed
			if lo, hi := s.span(s.w, p.r); p.x+side*dur < lo || p.x+side*dur > hi {
				m.vx = 0
			}
		}

	case Approach, Recede:
		span := math.Log(s.rmax / s.rmin)
		minLog := math.Min(0.15*dur, 0.6*span) // least total change of ln(r)
		maxLog := 0.45 * dur
		switch {
		case fresh:
			// The size range first, then which end to start from: both
			// classes cover the same sizes, and the actor is placed
			// anywhere the largest of them fits.
			total := uniform(rng, minLog, math.Min(maxLog, span))
			lo := uniform(rng, math.Log(s.rmin), math.Log(s.rmax)-total)
			p.r = math.Exp(lo + total)
			xlo, xhi := s.span(s.w, p.r)
			ylo, yhi := s.span(s.h, p.r)
			p.x, p.y = uniform(rng, xlo, xhi), uniform(rng, ylo, yhi)
			m.grow = -total / dur
			if label == Approach {
				p.r = math.Exp(lo)
				m.grow = -m.grow
			}
		case label == Approach:
			if math.Log(s.rmax/p.r) < minLog {
				p.r = uniform(rng, s.rmin, s.rmax*math.Exp(-minLog))
			}
			total := uniform(rng, minLog, math.Min(maxLog, math.Log(s.rmax/p.r)))
			m.grow = total / dur
			// The centre must leave room for the final size.
			end := pose{x: p.x, y: p.y, r: p.r * math.Exp(total)}
			fit(&end)
			p.x, p.y = end.x, end.y
		default:
			if math.Log(p.r/s.rmin) < minLog {
				p.r = uniform(rng, s.rmin*math.Exp(minLog), s.rmax)
				fit(&p)
			}
			total := uniform(rng, minLog, math.Min(maxLog, math.Log(p.r/s.rmin)))
			m.grow = -total / dur
		}

	case RotateCW, RotateCCW:
		m.spin = uniform(rng, minSpin, maxSpin(fold)) * math.Pi / 180
		if label == RotateCCW {
			m.spin = -m.spin
		}

	case Bounce:
		minA := 0.1 * s.h
		if rmax := (s.h - 2*s.pad - minA) / 2; p.r > rmax {
			p.r = uniform(rng, s.rmin, rmax)
			fit(&p)
		}
		lo, hi := s.span(s.h, p.r)
		if p.y-lo < minA {
			p.y = uniform(rng, lo+minA, hi)
		}
		m.hopA = uniform(rng, minA, math.Min(0.3*s.h, p.y-lo))
		m.hopP = uniform(rng, 0.6, 1.1)
	}
	m.from = p
	return m
}
