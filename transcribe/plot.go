package transcribe

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// A piano roll is drawn from a few shapes, written either as SVG or as a
// PNG through the standard library, so that plotting adds no dependency to
// the binary.
type shape struct {
	x, y, w, h float64
	fill       color.RGBA
}

type roll struct {
	w, h   float64
	shapes []shape
	labels []label
}

type label struct {
	x, y float64
	text string
}

var pieceColour = map[Piece]color.RGBA{
	Kick: {0xd6, 0x27, 0x28, 255}, Snare: {0x1f, 0x77, 0xb4, 255}, Tom: {0x2c, 0xa0, 0x2c, 255},
	HatClosed: {0xff, 0x7f, 0x0e, 255}, HatPedal: {0x8c, 0x56, 0x4b, 255}, HatOpen: {0xe3, 0x77, 0xc2, 255},
	Ride: {0x94, 0x67, 0xbd, 255}, RideBell: {0x17, 0xbe, 0xcf, 255}, Crash: {0xbc, 0xbd, 0x22, 255},
}

// layoutRoll lays out one lane per stem: the stem's envelope (peak level
// per pixel column, 60 dB range) in grey and a bar per note, its height the
// velocity; tom notes sit higher the higher the tom.
func layoutRoll(in Input, notes []Note) *roll {
	const laneH, left, top, width = 60.0, 60.0, 10.0, 1200.0
	r := &roll{w: left + width + 10, h: top + laneH*float64(len(in.Stems)) + 20}
	frames := 0
	if len(in.Stems) > 0 && len(in.Stems[0].Data) > 0 {
		frames = len(in.Stems[0].Data[0])
	}
	secs := math.Max(float64(frames)/float64(max(1, in.SampleRate)), 1e-3)
	xOf := func(t float64) float64 { return left + t/secs*width }
	for li, s := range in.Stems {
		y0 := top + laneH*float64(li)
		r.shapes = append(r.shapes, shape{left, y0, width, laneH - 2, color.RGBA{0xf4, 0xf4, 0xf4, 255}})
		r.labels = append(r.labels, label{4, y0 + laneH/2, s.Name})
		x := mono(s.Data)
		per := max(1, len(x)/int(width))
		for c := 0; c*per < len(x); c++ {
			var p float32
			for _, v := range x[c*per : min(len(x), (c+1)*per)] {
				p = max(p, v, -v)
			}
			db := 20 * math.Log10(float64(p)+1e-9)
			hgt := math.Max(0, (db+60)/60) * (laneH - 4)
			if hgt > 0 {
				r.shapes = append(r.shapes, shape{left + float64(c)*width/float64(len(x))*float64(per), y0 + laneH - 2 - hgt, math.Max(1, width*float64(per)/float64(len(x))), hgt, color.RGBA{0xc8, 0xc8, 0xc8, 255}})
			}
		}
		for _, n := range notes {
			if n.Stem != s.Name {
				continue
			}
			hgt := float64(n.Velocity) / 127 * (laneH - 6)
			y := y0 + laneH - 2 - hgt
			if n.Piece == Tom && n.Toms > 1 {
				hgt = (laneH - 6) / float64(n.Toms)
				y = y0 + 2 + hgt*float64(n.Tom)
			}
			r.shapes = append(r.shapes, shape{xOf(n.Time), y, 2, hgt, pieceColour[n.Piece]})
		}
	}
	for t := 0.0; t <= secs; t += tickStep(secs) {
		r.shapes = append(r.shapes, shape{xOf(t), r.h - 18, 1, 4, color.RGBA{0, 0, 0, 255}})
		r.labels = append(r.labels, label{xOf(t) + 2, r.h - 4, fmt.Sprintf("%gs", t)})
	}
	return r
}

func tickStep(secs float64) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300} {
		if secs/s <= 20 {
			return s
		}
	}
	return 600
}

func hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func (r *roll) svg(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`+"\n", r.w, r.h)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	for _, s := range r.shapes {
		fmt.Fprintf(bw, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", s.x, s.y, s.w, s.h, hex(s.fill))
	}
	for _, l := range r.labels {
		t := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(l.text)
		fmt.Fprintf(bw, `<text x="%.1f" y="%.1f">%s</text>`+"\n", l.x, l.y, t)
	}
	fmt.Fprintln(bw, `</svg>`)
	return bw.Flush()
}

// png draws the shapes (labels are left out: the standard library has no
// font; the lanes are in the order of the stems).
func (r *roll) png(w io.Writer) error {
	img := image.NewRGBA(image.Rect(0, 0, int(r.w), int(r.h)))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for _, s := range r.shapes {
		for y := int(s.y); y < int(math.Ceil(s.y+s.h)); y++ {
			for x := int(s.x); x < int(math.Ceil(s.x+s.w)); x++ {
				img.SetRGBA(x, y, s.fill)
			}
		}
	}
	return png.Encode(w, img)
}

// Plot writes a piano roll of the notes over the stems' envelopes, as SVG
// or PNG (format "svg" or "png").
func Plot(w io.Writer, format string, in Input, notes []Note) error {
	r := layoutRoll(in, notes)
	switch format {
	case "svg":
		return r.svg(w)
	case "png":
		return r.png(w)
	}
	return fmt.Errorf("plot: unknown format %q (want svg or png)", format)
}

// PlotFile writes Plot's piano roll to a .svg or .png file.
func PlotFile(path string, in Input, notes []Note) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = Plot(f, format, in, notes)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
