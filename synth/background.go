package synth

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand"
	"os"

	"gocv.io/x/gocv"
)

// background paints a w×h scene in one of four styles — outdoors, a room, a
// natural texture, a brick wall — or, when photos are given, crops one of
// them; it returns a CV_8UC3 Mat.
func background(rng *rand.Rand, w, h int, photos []string) (gocv.Mat, error) {
	if len(photos) > 0 {
		return photo(rng, w, h, photos[rng.Intn(len(photos))])
	}
	var img *image3
	var clutter func(m *gocv.Mat)
	switch rng.Intn(4) {
	case 0:
		img, clutter = outdoor(rng, w, h)
	case 1:
		img, clutter = room(rng, w, h)
	case 2:
		img = texture(rng, w, h, palette(rng, uniform(rng, 0, 360), 40, 0.1, 0.6, 0.35, 0.95))
	default:
		img = bricks(rng, w, h)
	}
	tmp, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, img.pix)
	if err != nil {
		return gocv.Mat{}, err
	}
	// The Mat above borrows Go memory; the scene keeps its own copy.
	m := tmp.Clone()
	tmp.Close()
	if clutter != nil {
		clutter(&m)
	}
	// A slight blur, as a lens would give.
	gocv.GaussianBlur(m, &m, image.Pt(5, 5), uniform(rng, 0.6, 1.3), 0, gocv.BorderReflect)
	return m, nil
}

// palette returns three colours with hues within spread degrees of hue
// and saturation and value in the ranges given.
func palette(rng *rand.Rand, hue, spread, smin, smax, vmin, vmax float64) [3]rgb {
	var p [3]rgb
	for i := range p {
		h := math.Mod(hue+uniform(rng, -spread, spread)+360, 360)
		p[i] = toRGB(hsv(h, uniform(rng, smin, smax), uniform(rng, vmin, vmax)))
	}
	return p
}

// texture is a marbled pattern in the colours of pal: rock, sand, foliage.
func texture(rng *rand.Rand, w, h int, pal [3]rgb) *image3 {
	c0, c1, c2 := pal[0], pal[1], pal[2]
	f := fbm(rng, w, h, uniform(rng, 2, 6), uniform(rng, 2, 6), 5)
	grain := fbm(rng, w, h, float64(w)/6, float64(h)/6, 1)
	turbulent := rng.Intn(2) == 0
	img := newImage3(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := stretch(f.at(x, y))
			if turbulent {
				v = math.Abs(2*v - 1)
			}
			var c rgb
			if v < 0.5 {
				c = c0.lerp(c1, v*2)
			} else {
				c = c1.lerp(c2, v*2-1)
			}
			img.set(x, y, c.scale(0.85+0.3*grain.at(x, y)))
		}
	}
	return img
}

// bricks is a wall of bricks in courses, each brick's colour a little
// different, with dirt.
func bricks(rng *rand.Rand, w, h int) *image3 {
	base := toRGB(hsv(uniform(rng, 0, 40), uniform(rng, 0.3, 0.8), uniform(rng, 0.45, 0.85)))
	mortar := toRGB(hsv(uniform(rng, 0, 60), uniform(rng, 0, 0.2), uniform(rng, 0.55, 0.9)))
	bw := float64(w) / uniform(rng, 5, 11)
	bh := bw * uniform(rng, 0.3, 0.5)
	joint := math.Max(1, bh*0.12)
	dirt := fbm(rng, w, h, 4, 3, 4)
	img := newImage3(w, h)
	tint := map[[2]int]float64{}
	for y := 0; y < h; y++ {
		row := int(float64(y) / bh)
		off := 0.0
		if row%2 == 1 {
			off = bw / 2
		}
		for x := 0; x < w; x++ {
			col := int((float64(x) + off) / bw)
			inY := float64(y) - float64(row)*bh
			inX := float64(x) + off - float64(col)*bw
			c := mortar
			if inY >= joint && inX >= joint {
				k, ok := tint[[2]int{row, col}]
				if !ok {
					k = uniform(rng, 0.75, 1.2)
					tint[[2]int{row, col}] = k
				}
				c = base.scale(k)
			}
			img.set(x, y, c.scale(0.7+0.5*stretch(dirt.at(x, y))))
		}
	}
	return img
}

// outdoor is sky with clouds over ground with a hilly horizon; trees and
// houses are drawn on it afterwards.
func outdoor(rng *rand.Rand, w, h int) (*image3, func(*gocv.Mat)) {
	skyTop := toRGB(hsv(uniform(rng, 190, 230), uniform(rng, 0.3, 0.8), uniform(rng, 0.6, 1)))
	skyLow := toRGB(hsv(uniform(rng, 20, 220), uniform(rng, 0.05, 0.4), uniform(rng, 0.75, 1)))
	ground := toRGB(hsv(uniform(rng, 25, 130), uniform(rng, 0.3, 0.8), uniform(rng, 0.3, 0.7)))
	ground2 := ground.lerp(toRGB(randomColor(rng)), 0.35)
	horizon := uniform(rng, 0.3, 0.6) * float64(h)
	var waves [3][3]float64
	for i := range waves {
		waves[i] = [3]float64{uniform(rng, 0.01, 0.06) * float64(h), uniform(rng, 1, 6) * 2 * math.Pi / float64(w), uniform(rng, 0, 2*math.Pi)}
	}
	hill := func(x int) float64 {
		y := horizon
		for _, wv := range waves {
			y += wv[0] * math.Sin(wv[1]*float64(x)+wv[2])
		}
		return y
	}
	clouds := fbm(rng, w, h, 3, 2, 5)
	soil := fbm(rng, w, h, uniform(rng, 3, 8), uniform(rng, 6, 14), 5)
	cover := uniform(rng, 0.3, 0.7)
	img := newImage3(w, h)
	for x := 0; x < w; x++ {
		hy := hill(x)
		for y := 0; y < h; y++ {
			var c rgb
			if float64(y) < hy {
				c = skyTop.lerp(skyLow, float64(y)/hy)
				cl := clamp((clouds.at(x, y)-cover)*4, 0, 1)
				c = c.lerp(rgb{245, 245, 245}, cl*0.9)
			} else {
				depth := (float64(y) - hy) / (float64(h) - hy + 1)
				c = ground.lerp(ground2, stretch(soil.at(x, y))).scale(0.75 + 0.4*depth)
			}
			img.set(x, y, c)
		}
	}
	n := rng.Intn(6)
	type thing struct {
		house   bool
		x, y, s float64
		c1, c2  color.RGBA
	}
	things := make([]thing, n)
	for i := range things {
		x := uniform(rng, 0, float64(w))
		things[i] = thing{rng.Intn(3) == 0, x, hill(int(x)) + uniform(rng, 0, 0.1)*float64(h), uniform(rng, 0.06, 0.2) * float64(h), randomColor(rng), randomColor(rng)}
	}
	return img, func(m *gocv.Mat) {
		for _, t := range things {
			if t.house {
				body := image.Rect(int(t.x-t.s), int(t.y-t.s), int(t.x+t.s), int(t.y))
				gocv.Rectangle(m, body, t.c1, -1)
				roof := gocv.NewPointsVectorFromPoints([][]image.Point{{
					image.Pt(int(t.x-1.2*t.s), int(t.y-t.s)), image.Pt(int(t.x), int(t.y-1.8*t.s)), image.Pt(int(t.x+1.2*t.s), int(t.y-t.s))}})
				gocv.FillPoly(m, roof, t.c2)
				roof.Close()
				win := image.Rect(int(t.x-0.6*t.s), int(t.y-0.7*t.s), int(t.x-0.1*t.s), int(t.y-0.3*t.s))
				gocv.Rectangle(m, win, color.RGBA{60, 70, 90, 255}, -1)
				continue
			}
			trunk := image.Rect(int(t.x-0.08*t.s), int(t.y-t.s), int(t.x+0.08*t.s), int(t.y))
			gocv.Rectangle(m, trunk, color.RGBA{90, 60, 35, 255}, -1)
			leaf := hsv(uniform(rng, 70, 140), uniform(rng, 0.4, 0.8), uniform(rng, 0.25, 0.6))
			for k := 0; k < 5; k++ {
				c := image.Pt(int(t.x+uniform(rng, -0.4, 0.4)*t.s), int(t.y-t.s-uniform(rng, 0, 0.5)*t.s))
				gocv.Circle(m, c, int(uniform(rng, 0.3, 0.5)*t.s)+1, toRGB(leaf).scale(uniform(rng, 0.8, 1.2)).rgba(), -1)
			}
		}
	}
}

// room is a wall over a wooden floor, with a window, a picture and a door
// drawn on it afterwards.
func room(rng *rand.Rand, w, h int) (*image3, func(*gocv.Mat)) {
	wall := toRGB(hsv(uniform(rng, 0, 360), uniform(rng, 0.05, 0.45), uniform(rng, 0.55, 0.95)))
	wood := toRGB(hsv(uniform(rng, 20, 40), uniform(rng, 0.4, 0.8), uniform(rng, 0.3, 0.7)))
	floorY := int(uniform(rng, 0.6, 0.85) * float64(h))
	stripes := rng.Intn(2) == 0
	period := uniform(rng, 8, 30) * float64(w) / 320
	wallTex := fbm(rng, w, h, 4, 4, 4)
	grain := fbm(rng, w, h, uniform(rng, 1, 3), float64(h)/4, 4)
	img := newImage3(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if y < floorY {
				k := 0.9 + 0.2*wallTex.at(x, y)
				if stripes && math.Mod(float64(x), period) < period/2 {
					k *= 0.92
				}
				img.set(x, y, wall.scale(k))
				continue
			}
			plank := float64((y-floorY)/int(math.Max(3, float64(h)/24))%2) * 0.08
			img.set(x, y, wood.scale(0.75+0.4*grain.at(x, y)+plank))
		}
	}
	win := image.Rect(int(uniform(rng, 0.05, 0.6)*float64(w)), int(uniform(rng, 0.08, 0.2)*float64(h)), 0, 0)
	win.Max = image.Pt(win.Min.X+int(uniform(rng, 0.15, 0.3)*float64(w)), win.Min.Y+int(uniform(rng, 0.2, 0.35)*float64(h)))
	pic := image.Rect(int(uniform(rng, 0.1, 0.8)*float64(w)), int(uniform(rng, 0.1, 0.3)*float64(h)), 0, 0)
	pic.Max = image.Pt(pic.Min.X+int(uniform(rng, 0.08, 0.15)*float64(w)), pic.Min.Y+int(uniform(rng, 0.08, 0.15)*float64(h)))
	picColor, frameColor := randomColor(rng), hsv(uniform(rng, 20, 40), 0.6, 0.35)
	door := rng.Intn(2) == 0
	doorX := int(uniform(rng, 0.05, 0.85) * float64(w))
	return img, func(m *gocv.Mat) {
		t := int(math.Max(1, float64(w)/160))
		gocv.Rectangle(m, win, color.RGBA{170, 205, 235, 255}, -1)
		gocv.Rectangle(m, win, color.RGBA{235, 235, 230, 255}, 2*t)
		c := win.Min.Add(win.Max).Div(2)
		gocv.Line(m, image.Pt(c.X, win.Min.Y), image.Pt(c.X, win.Max.Y), color.RGBA{235, 235, 230, 255}, t)
		gocv.Rectangle(m, pic, picColor, -1)
		gocv.Rectangle(m, pic, frameColor, 2*t)
		if door {
			d := image.Rect(doorX, floorY-int(0.5*float64(h)), doorX+int(0.12*float64(w)), floorY)
			gocv.Rectangle(m, d, hsv(30, 0.5, 0.45), -1)
			gocv.Circle(m, image.Pt(d.Max.X-3*t, (d.Min.Y+d.Max.Y)/2), t+1, color.RGBA{220, 200, 120, 255}, -1)
		}
		gocv.Line(m, image.Pt(0, floorY), image.Pt(w, floorY), color.RGBA{60, 50, 40, 255}, t)
	}
}

// photo reads an image file and returns a random crop of it with the
// aspect of w×h, between half and all of the largest such crop, perhaps
// mirrored, resized to w×h.
func photo(rng *rand.Rand, w, h int, path string) (gocv.Mat, error) {
	if _, err := os.Stat(path); err != nil {
		return gocv.Mat{}, fmt.Errorf("%w: background: %v", ErrOptions, err)
	}
	img := gocv.IMRead(path, gocv.IMReadColor)
	defer img.Close()
	if img.Empty() {
		return gocv.Mat{}, fmt.Errorf("%w: background %s: not an image OpenCV can read", ErrOptions, path)
	}
	aspect := float64(w) / float64(h)
	iw, ih := float64(img.Cols()), float64(img.Rows())
	cw := uniform(rng, 0.5, 1) * math.Min(iw, ih*aspect)
	ch := cw / aspect
	x0, y0 := uniform(rng, 0, iw-cw), uniform(rng, 0, ih-ch)
	crop := img.Region(image.Rect(int(x0), int(y0), int(math.Max(x0+1, x0+cw)), int(math.Max(y0+1, y0+ch))))
	defer crop.Close()
	m := gocv.NewMat()
	interp := gocv.InterpolationArea
	if cw < float64(w) {
		interp = gocv.InterpolationLinear
	}
	gocv.Resize(crop, &m, image.Pt(w, h), 0, 0, interp)
	if rng.Intn(2) == 0 {
		gocv.Flip(m, &m, 1)
	}
	gocv.GaussianBlur(m, &m, image.Pt(3, 3), uniform(rng, 0.3, 0.8), 0, gocv.BorderReflect)
	return m, nil
}
