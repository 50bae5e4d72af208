package synth

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand"

	"gocv.io/x/gocv"
)

// Video is one planned synthetic video: its scene, its actor and the
// actor's script. Frames are rendered on demand and depend only on the
// options and the frame index, so Render(i) gives the same bytes whenever
// it is called. A Video is used by one goroutine at a time; Close releases
// it.
type Video struct {
	o      Options
	n      int
	stage  stage
	scene  *scene
	actor  actor
	parts  []part
	hidden bool // draw no actor (tests compare frames with and without it)
}

// part is one segment of the script.
type part struct {
	label        string
	first, count int // frames
	move         motion
}

// Truth is what frame i shows: the activity and where the actor is, in
// the frame's pixels (camera shake included).
type Truth struct {
	Label string
	// X and Y are the actor's centre; Radius is half its size; Angle is its
	// turn in radians, clockwise.
	X, Y, Radius, Angle float64
}

// NewClip plans a clip of one activity, o.Seconds long. Its randomness
// comes from o.Seed and the label, so clips of different classes made with
// the same seed differ.
func NewClip(label string, o Options) (*Video, error) {
	if !IsClass(label) {
		return nil, fmt.Errorf("%w %q", ErrUnknownClass, label)
	}
	o.Classes = []string{label}
	if err := o.Validate(false); err != nil {
		return nil, err
	}
	n := int(math.Round(o.Seconds * float64(o.FPS)))
	rng := rand.New(rand.NewSource(mix(o.Seed, label)))
	return newVideo(o, rng, []part{{label: label, first: 0, count: n}})
}

// NewScripted plans a video o.Seconds long made of segments between
// o.MinSegment and o.MaxSegment seconds long, each an activity drawn from
// o.Classes and different from the one before. Segment boundaries fall on
// frames whose times are whole milliseconds, so the times in the segments
// CSV are exact; for the same reason the length is rounded to a multiple
// of such a step (e.g. 3 frames, 0.1 s, at 30 fps).
func NewScripted(o Options) (*Video, error) {
	if err := o.Validate(true); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(mix(o.Seed, "scripted")))
	return newVideo(o, rng, script(o, rng))
}

// step is the smallest number of frames that lasts a whole number of
// milliseconds at fps.
func step(fps int) int {
	a, b := fps, 1000
	for b != 0 {
		a, b = b, a%b
	}
	return fps / a
}

// script splits a scripted video into segments with random lengths and
// labels.
func script(o Options, rng *rand.Rand) []part {
	g := step(o.FPS)
	frames := func(sec float64) int { return int(math.Round(sec*float64(o.FPS)/float64(g))) * g }
	total := max(frames(o.Seconds), g)
	minF := max(frames(o.MinSegment), g)
	maxF := max(frames(o.MaxSegment), minF)
	var parts []part
	prev := ""
	for at := 0; at < total; {
		rem := total - at
		d := rem
		if rem > maxF {
			d = minF + g*rng.Intn((maxF-minF)/g+1)
			if rem-d < minF {
				d = rem - minF
				if d < minF {
					d = rem
				}
			}
		}
		label := o.Classes[0]
		if len(o.Classes) > 1 {
			for label = prev; label == prev; {
				label = o.Classes[rng.Intn(len(o.Classes))]
			}
		}
		if label == prev { // a single class: one long segment
			parts[len(parts)-1].count += d
		} else {
			parts = append(parts, part{label: label, first: at, count: d})
		}
		prev = label
		at += d
	}
	return parts
}

func newVideo(o Options, rng *rand.Rand, parts []part) (*Video, error) {
	n := parts[len(parts)-1].first + parts[len(parts)-1].count
	v := &Video{o: o, n: n, stage: newStage(o.Width, o.Height), parts: parts}
	v.actor = newActor(rng)
	p := freshPose(v.stage, rng)
	fps := float64(o.FPS)
	for i := range v.parts {
		pt := &v.parts[i]
		dur := float64(pt.count) / fps
		pt.move = plan(pt.label, p, dur, v.stage, rng, i == 0, v.actor.fold)
		p = pt.move.at(dur)
	}
	sc, err := newScene(rng, o.Width, o.Height, o.FPS, n, v.stage, o.Plain, o.Backgrounds)
	if err != nil {
		return nil, err
	}
	v.scene = sc
	return v, nil
}

// mix derives a seed from a seed and a name (splitmix64 over both).
func mix(seed int64, name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(splitmix(uint64(seed) ^ splitmix(h.Sum64())))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// ItemSeed is the seed GenerateClips and GenerateScripted give item index
// (a clip within its class, or a video) of a set made with seed: the clip
// DIR/<label>/<label>_0003.mp4 is WriteClip(path, label, o) with
// o.Seed = ItemSeed(seed, 3).
func ItemSeed(seed int64, index int) int64 {
	return int64(splitmix(splitmix(uint64(seed)) + uint64(index)))
}

// Len returns the number of frames.
func (v *Video) Len() int { return v.n }

// FPS returns the frame rate.
func (v *Video) FPS() int { return v.o.FPS }

// Size returns the frame width and height.
func (v *Video) Size() (w, h int) { return v.o.Width, v.o.Height }

// Segments returns the script, with Video left empty: times in seconds,
// frame i at i/FPS() seconds.
func (v *Video) Segments() []Segment {
	out := make([]Segment, len(v.parts))
	fps := float64(v.o.FPS)
	for i, p := range v.parts {
		out[i] = Segment{Start: float64(p.first) / fps, End: float64(p.first+p.count) / fps, Label: p.label}
	}
	return out
}

// partAt returns the part that frame i belongs to.
func (v *Video) partAt(i int) *part {
	for k := range v.parts {
		if i < v.parts[k].first+v.parts[k].count {
			return &v.parts[k]
		}
	}
	return &v.parts[len(v.parts)-1]
}

func (v *Video) pose(i int) (string, pose) {
	p := v.partAt(i)
	return p.label, p.move.at(float64(i-p.first) / float64(v.o.FPS))
}

// Truth returns the label of frame i and where the actor is in it.
func (v *Video) Truth(i int) Truth {
	label, p := v.pose(i)
	x, y := p.x, p.y
	if !v.scene.plain {
		o := v.scene.shake[i]
		x -= float64(o.X - v.scene.margin)
		y -= float64(o.Y - v.scene.margin)
	}
	return Truth{Label: label, X: x, Y: y, Radius: p.r, Angle: p.angle}
}

// Render draws frame i (0 <= i < Len()) into dst, a BGR image of the video's
// size; dst is (re)allocated as needed, so one Mat can be reused for every
// frame.
func (v *Video) Render(i int, dst *gocv.Mat) error {
	if i < 0 || i >= v.n {
		return fmt.Errorf("synth: frame %d out of range 0..%d", i, v.n-1)
	}
	_, p := v.pose(i)
	v.scene.frame(i, float64(i)/float64(v.o.FPS), dst, func(c canvas) {
		if !v.hidden {
			v.actor.draw(c, p)
		}
	})
	return nil
}

// Close releases the video's images.
func (v *Video) Close() error {
	if v.scene != nil {
		v.scene.close()
		v.scene = nil
	}
	return nil
}
