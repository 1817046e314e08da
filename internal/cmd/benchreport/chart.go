package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/drumsplit/drumsplit/internal/bench"
)

// Chart draws the RTF of every series against the overlap as an SVG: one
// colour per machine, model, device and precision, solid for drumsplit and
// dashed for the reference, a logarithmic RTF axis so that CPUs and GPUs
// fit together.
func Chart(w io.Writer, entries []bench.Entry) error {
	p, width, height, err := chartPlot(entries)
	if err != nil {
		return err
	}
	c := vgsvg.New(width, height)
	p.Draw(draw.New(c))
	_, err = c.WriteTo(w)
	return err
}

// chartPlot builds Chart's plot and its size.
func chartPlot(entries []bench.Entry) (*plot.Plot, vg.Length, vg.Length, error) {
	series := bench.ChartSeries(entries)
	p := plot.New()
	p.Title.Text = "Real-time factor by device and overlap (best batch size; lower is faster)"
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = "overlap"
	p.Y.Label.Text = "RTF = time / audio length"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = ticks125{}
	p.X.Scale = plot.LogScale{}
	// RTF grows with the overlap: the top left corner stays free.
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(8)
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Add(plotter.NewGrid())

	overlaps := map[int]bool{}
	lo, hi := math.Inf(1), math.Inf(-1)
	colours := map[string]int{}
	for _, s := range series {
		for o, v := range s.Points {
			overlaps[o] = true
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	var ticks []plot.Tick
	for o := range overlaps {
		ticks = append(ticks, plot.Tick{Value: float64(o), Label: fmt.Sprint(o)})
	}
	sort.Slice(ticks, func(i, j int) bool { return ticks[i].Value < ticks[j].Value })
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	if len(series) == 0 {
		// An empty chart still has valid axes.
		lo, hi = 0.01, 1
		p.X.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 2, Label: "2"}, {Value: 4, Label: "4"}, {Value: 8, Label: "8"}})
		p.X.Min, p.X.Max = 2, 8
	} else if len(ticks) == 1 {
		p.X.Min, p.X.Max = ticks[0].Value/1.5, ticks[0].Value*1.5
	} else {
		p.X.Min, p.X.Max = ticks[0].Value/1.15, ticks[len(ticks)-1].Value*1.15
	}
	p.Y.Min, p.Y.Max = lo/1.5, hi*1.5

	for _, s := range series {
		var xs []int
		for o := range s.Points {
			xs = append(xs, o)
		}
		sort.Ints(xs)
		pts := make(plotter.XYs, len(xs))
		for i, o := range xs {
			pts[i] = plotter.XY{X: float64(o), Y: s.Points[o]}
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, 0, 0, err
		}
		// drumsplit and the reference of one configuration share a colour.
		base := s.Label[len(s.Tool):]
		c, ok := colours[base]
		if !ok {
			c = len(colours)
			colours[base] = c
		}
		l.Color = plotutil.Color(c)
		l.Width = vg.Points(1.5)
		sc.Color = plotutil.Color(c)
		sc.Shape = draw.CircleGlyph{}
		if s.Tool == bench.ToolReference {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			sc.Shape = draw.BoxGlyph{}
		}
		p.Add(l, sc)
		p.Legend.Add(s.Label, l, sc)
	}
	return p, 9 * vg.Inch, 4*vg.Inch + vg.Length(len(series))*vg.Points(10), nil
}

// ticks125 marks a logarithmic axis at 1, 2 and 5 times the powers of ten,
// labelled, so that even a range within one decade gets several ticks.
type ticks125 struct{}

// Ticks returns the ticks between min and max.
func (ticks125) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	if !(min > 0) || !(max > min) {
		return out
	}
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= min && v <= max {
				out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	return out
}
