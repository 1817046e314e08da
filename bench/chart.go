package bench

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
)

// Series is one line of the chart: the best RTF over batch sizes at each
// overlap, for one tool on one machine, model, device and precision.
type Series struct {
	Label  string
	Tool   string
	Points map[int]float64 // overlap → RTF
}

// ChartSeries picks what the chart shows: for each machine, model, device,
// precision and tool, its latest run's best RTF (over batch sizes) per
// overlap. Failed results are left out.
func ChartSeries(entries []Entry) []Series {
	type key struct{ slug, model, device, precision, tool string }
	type latest struct {
		run   Run
		order int
	}
	last := map[key]latest{}
	for i, e := range entries {
		for _, r := range e.Run.Results {
			k := key{e.Run.Machine.Slug, e.Run.Model.Name, deviceType(r.Device), r.Precision, e.Run.Tool}
			if l, ok := last[k]; !ok || e.Run.Date.After(l.run.Date) || e.Run.Date.Equal(l.run.Date) && i > l.order {
				last[k] = latest{e.Run, i}
			}
		}
	}
	var out []Series
	for k, l := range last {
		s := Series{Tool: k.tool, Points: map[int]float64{}}
		for _, r := range l.run.Results {
			if r.Error != "" || deviceType(r.Device) != k.device || r.Precision != k.precision || !(r.RTF > 0) {
				continue
			}
			if v, ok := s.Points[r.Overlap]; !ok || r.RTF < v {
				s.Points[r.Overlap] = r.RTF
			}
		}
		if len(s.Points) == 0 {
			continue
		}
		dev := k.device
		if dev == "cpu" {
			dev = fmt.Sprintf("cpu×%d", l.run.Settings.Threads)
		}
		prec := k.precision
		if k.tool == ToolReference && prec == "fp16" {
			prec = "autocast fp16"
		}
		s.Label = fmt.Sprintf("%s %s %s, %s, %s", k.tool, dev, prec, k.slug, k.model)
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}

// Chart draws the RTF of every series against the overlap as an SVG: one
// colour per machine, model, device and precision, solid for drumsplit and
// dashed for the reference, a logarithmic RTF axis so that CPUs and GPUs
// fit together.
func Chart(w io.Writer, entries []Entry) error {
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
func chartPlot(entries []Entry) (*plot.Plot, vg.Length, vg.Length, error) {
	series := ChartSeries(entries)
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
		if s.Tool == ToolReference {
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
