package bench

import (
	"fmt"
	"sort"
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
