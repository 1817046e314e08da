package bench

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Entry is one file's run with where it came from.
type Entry struct {
	Path string // the results file, relative to the results directory
	File int    // index of the file among those loaded
	Run  Run
}

// ProcessEntry is one file's whole-process comparison with where it came
// from.
type ProcessEntry struct {
	Path    string // the results file, relative to the results directory
	Process Process
}

// LoadDir reads every *.json results file in dir (sorted by name) and
// returns their runs.
func LoadDir(dir string) ([]Entry, error) {
	entries, _, err := LoadResults(dir)
	return entries, err
}

// LoadResults reads every *.json results file in dir (sorted by name) and
// returns their runs and their whole-process comparisons.
func LoadResults(dir string) ([]Entry, []ProcessEntry, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(paths)
	var out []Entry
	var procs []ProcessEntry
	for i, p := range paths {
		f, err := ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range f.Runs {
			out = append(out, Entry{Path: filepath.Base(p), File: i, Run: r})
		}
		for _, x := range f.Processes {
			procs = append(procs, ProcessEntry{Path: filepath.Base(p), Process: x})
		}
	}
	return out, procs, nil
}

// Row is one line of the matrix: a drumsplit result with, when the same
// file holds one, the reference's result for the same grid point.
type Row struct {
	Platform    string
	Environment string
	Device      string
	Model       string
	Overlap     int
	Batch       int
	Precision   string
	Date        time.Time
	Drumsplit   *Result // nil for a reference result with no drumsplit partner
	Reference   *Result // nil when there is none
	Seconds     float64 // input length
	Threads     int
	Shared      bool
	Load        float64 // the highest 1-minute load average seen at the run's ends
	Slug        string
	File        int // Entry.File of the drumsplit run (of the reference run when there is none)
	Run         int // the drumsplit run's index in the entries, -1 for none
}

// Ratio returns drumsplit's median time over the reference's, or NaN.
func (r Row) Ratio() float64 {
	if r.Drumsplit == nil || r.Reference == nil || r.Drumsplit.Error != "" || r.Reference.Error != "" ||
		r.Reference.Median <= 0 {
		return math.NaN()
	}
	return r.Drumsplit.Median / r.Reference.Median
}

// pointKey identifies a grid point within a file.
type pointKey struct {
	device, precision string
	overlap, batch    int
}

func keyOf(r Result) pointKey {
	return pointKey{deviceType(r.Device), r.Precision, r.Overlap, r.Batch}
}

// deviceType strips the index: cuda:0 → cuda.
func deviceType(d string) string {
	t, _, _ := strings.Cut(d, ":")
	return t
}

// Rows pairs the drumsplit and reference results of each file (same model,
// input and threads) and returns the matrix rows sorted by platform, model,
// device, precision, batch, overlap and date (newest first).
func Rows(entries []Entry) []Row {
	var rows []Row
	type runKey struct {
		file  int
		model string
		input string
	}
	refs := map[runKey][]Run{}
	for _, e := range entries {
		if e.Run.Tool == ToolReference {
			k := runKey{e.File, e.Run.Model.Name, e.Run.Input.SHA256}
			refs[k] = append(refs[k], e.Run)
		}
	}
	used := map[*Result]bool{}
	for ei, e := range entries {
		if e.Run.Tool != ToolDrumsplit {
			continue
		}
		ref := map[pointKey]*Result{}
		for _, rr := range refs[runKey{e.File, e.Run.Model.Name, e.Run.Input.SHA256}] {
			if rr.Settings.Threads != e.Run.Settings.Threads {
				continue
			}
			for i := range rr.Results {
				ref[keyOf(rr.Results[i])] = &rr.Results[i]
			}
		}
		for i := range e.Run.Results {
			d := &e.Run.Results[i]
			row := baseRow(e.Run, *d)
			row.File, row.Run = e.File, ei
			row.Drumsplit = d
			if r, ok := ref[keyOf(*d)]; ok {
				row.Reference = r
				used[r] = true
			}
			rows = append(rows, row)
		}
	}
	for k, rs := range refs {
		for _, run := range rs {
			for i := range run.Results {
				r := &run.Results[i]
				if used[r] {
					continue
				}
				row := baseRow(run, *r)
				row.File, row.Run = k.file, -1
				row.Reference = r
				rows = append(rows, row)
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch {
		case a.Platform != b.Platform:
			return a.Platform < b.Platform
		case a.Model != b.Model:
			return a.Model < b.Model
		case a.Device != b.Device:
			return a.Device < b.Device
		case a.Precision != b.Precision:
			return precisionRank(a.Precision) < precisionRank(b.Precision)
		case a.Batch != b.Batch:
			return a.Batch < b.Batch
		case a.Overlap != b.Overlap:
			return a.Overlap < b.Overlap
		}
		return a.Date.After(b.Date)
	})
	return rows
}

func precisionRank(p string) int {
	switch p {
	case "fp32":
		return 0
	case "fp16":
		return 1
	}
	return 2
}

func baseRow(run Run, r Result) Row {
	m := run.Machine
	return Row{
		Platform:    platform(m, r.Device),
		Environment: environment(m),
		Device:      deviceLabel(r, run.Settings.Threads),
		Model:       modelLabel(run.Model),
		Overlap:     r.Overlap, Batch: r.Batch, Precision: r.Precision,
		Date:    run.Date,
		Seconds: run.Input.Seconds,
		Threads: run.Settings.Threads,
		Shared:  m.Shared,
		Load:    math.Max(m.LoadStart[0], m.LoadEnd[0]),
		Slug:    m.Slug,
	}
}

// platform names the hardware a result ran on: the OS and the CPU for CPU
// results, the GPU for others.
func platform(m Machine, device string) string {
	os := osLabel(m)
	if deviceType(device) != "cpu" {
		for _, g := range m.GPUs {
			if g.Device == device || deviceType(g.Device) == deviceType(device) {
				return os + " · " + g.Name
			}
		}
	}
	cpu := m.CPU
	if m.LogicalCPUs > 0 {
		cpu += fmt.Sprintf(" (%d CPUs)", m.LogicalCPUs)
	}
	return os + " · " + cpu
}

func osLabel(m Machine) string {
	switch m.OS {
	case "linux":
		return "Linux"
	case "darwin":
		return "macOS"
	case "windows":
		return "Windows"
	}
	return m.OS
}

func environment(m Machine) string {
	env := m.Environment
	if m.OSName != "" && m.OSName != m.OS {
		env = m.OSName + ", " + env
	}
	if m.Libtorch != "" {
		env += ", torch " + m.Libtorch
	}
	return env
}

func deviceLabel(r Result, threads int) string {
	if deviceType(r.Device) == "cpu" {
		if threads > 0 {
			return fmt.Sprintf("cpu, %d threads", threads)
		}
		return "cpu"
	}
	return r.Device
}

func modelLabel(m Model) string {
	if m.Shape != "" {
		return fmt.Sprintf("%s (%s)", m.Name, m.Shape)
	}
	return m.Name
}

// Markers delimit the generated part of BENCHMARKS.md; text outside them is
// kept as written.
const (
	BeginMarker = "<!-- bench:begin: generated by `drumsplit bench report`, do not edit until bench:end -->"
	EndMarker   = "<!-- bench:end -->"
)

// Markdown writes the generated section: the machines and their runs, the
// matrix, and the chart (chart is the image's path relative to the
// markdown file; "" for none).
func Markdown(w io.Writer, entries []Entry, chart string) error {
	var b bytes.Buffer
	rows := Rows(entries)
	b.WriteString("### Runs\n\n")
	if len(entries) == 0 {
		b.WriteString("No results yet: run `make bench`.\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	b.WriteString("| results file | tool | date (UTC) | machine | environment | model | input | settings | grid time | load avg (start → end) | drumsplit / reference |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := entries[order[i]], entries[order[j]]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Run.Tool < b.Run.Tool
	})
	for _, ei := range order {
		e := entries[ei]
		r := e.Run
		m := r.Machine
		ratio := ""
		if r.Tool == ToolDrumsplit {
			ratio = ratioSummary(rows, ei)
		}
		load := fmt.Sprintf("%.2f → %.2f", m.LoadStart[0], m.LoadEnd[0])
		if m.Shared {
			load += fmt.Sprintf(" (shared: above %d CPUs)", m.LogicalCPUs)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			e.Path, cell(r.ToolVersion), r.Date.UTC().Format("2006-01-02 15:04"),
			cell(machineLabel(m)), cell(environment(m)), cell(modelLabel(r.Model)+", "+formatBytes(r.Model.SizeBytes)+paramsLabel(r.Model)),
			cell(inputLabel(r.Input)), cell(settingsLabel(r.Settings)), formatDuration(r.Elapsed), load, ratio)
	}

	b.WriteString("\n### Matrix\n\n")
	b.WriteString("RTF (real-time factor) = median wall time of a whole separation / input length; below 1 is faster than real time. ")
	b.WriteString("The ratio is drumsplit's median time over the reference's (`scripts/bench_reference.py`: MSST's demix with the eager PyTorch network, same weights, input, overlap, batch and threads), measured in the same session. ")
	b.WriteString("Device busy is the share of drumsplit's wall time spent inside model calls.\n\n")
	b.WriteString("| platform | environment | device | model | overlap | batch | precision | drumsplit s | RTF | chunks/s | device busy | peak RSS | peak device | reference s | reference RTF | drumsplit / reference | date |\n")
	b.WriteString("|---|---|---|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, row := range rows {
		ds, rtf, cps, busy, rss, dev := "—", "—", "—", "—", "—", "—"
		if d := row.Drumsplit; d != nil {
			if d.Error != "" {
				ds = "failed: " + cell(shorten(d.Error, 60))
			} else {
				ds, rtf = fmt.Sprintf("%.2f", d.Median), formatRTF(d.RTF)
				cps, busy = fmt.Sprintf("%.2f", d.ChunksPerSec), fmt.Sprintf("%.0f%%", 100*d.DeviceBusy)
				rss = formatBytes(d.PeakRSS)
				if d.PeakDevice > 0 {
					dev = formatBytes(d.PeakDevice)
				}
			}
		}
		prec := row.Precision
		refS, refRTF := "—", "—"
		if r := row.Reference; r != nil {
			if r.Autocast {
				prec += " (reference: autocast)"
			}
			if r.Error != "" {
				refS = "failed: " + cell(shorten(r.Error, 60))
			} else {
				refS, refRTF = fmt.Sprintf("%.2f", r.Median), formatRTF(r.RTF)
			}
		}
		ratio := "—"
		if x := row.Ratio(); !math.IsNaN(x) {
			ratio = fmt.Sprintf("%.2f", x)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			cell(row.Platform), cell(row.Environment), cell(row.Device), cell(row.Model), row.Overlap, row.Batch,
			prec, ds, rtf, cps, busy, rss, dev, refS, refRTF, ratio, row.Date.UTC().Format("2006-01-02"))
	}
	if chart != "" {
		fmt.Fprintf(&b, "\n![RTF by device and overlap, best batch size, log scale](%s)\n", chart)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// ProcessMarkdown writes the whole-process section: one row per model and
// machine, drumsplit against the reference, each started as a user starts
// it.
func ProcessMarkdown(w io.Writer, procs []ProcessEntry) error {
	var b bytes.Buffer
	b.WriteString("### Whole process\n\n")
	if len(procs) == 0 {
		b.WriteString("No whole-process results yet: run `make bench`.\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	b.WriteString("Each tool started as a user starts it, one process per run, timed from its start to its exit with every stem written: " +
		"`drumsplit separate -m MODEL.pt INPUT -o DIR --overwrite` at its defaults, and " +
		"`scripts/msst_infer.py --model_type mdx23c --config_path MODEL.yaml --start_check_point MODEL.ckpt --input_folder DIR --store_dir DIR` " +
		"(what MSST's inference.py does: build the network from the config, `torch.load` the checkpoint the export came from, MSST's demix, " +
		"write the stems with soundfile), on the same input, taking turns run by run; medians. " +
		"CPU is user + system time; peak RSS is the process's maxrss. Ratios are drumsplit's over the reference's: below 1, drumsplit is faster or smaller. " +
		"Threads \"defaults\" means neither tool was told a thread count.\n\n")
	b.WriteString("| machine | environment | model | input | threads | runs | drumsplit s | reference s | drumsplit / reference | " +
		"drumsplit CPU s | reference CPU s | CPU ratio | drumsplit peak RSS | reference peak RSS | RSS ratio | load avg (start → end) | date | results file |\n")
	b.WriteString("|---|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|---|\n")
	order := make([]ProcessEntry, len(procs))
	copy(order, procs)
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i].Process, order[j].Process
		switch ma, mb := machineLabel(a.Machine), machineLabel(b.Machine); {
		case ma != mb:
			return ma < mb
		case a.Width != b.Width:
			return a.Width < b.Width
		case a.Model.Name != b.Model.Name:
			return a.Model.Name < b.Model.Name
		}
		return a.Date.After(b.Date)
	})
	for _, e := range order {
		p := e.Process
		m := p.Machine
		secs := func(s ProcessSide, x float64) string {
			if !s.OK() {
				if s.Error != "" {
					return "failed: " + cell(shorten(s.Error, 60))
				}
				return "—"
			}
			return fmt.Sprintf("%.2f", x)
		}
		rss := func(s ProcessSide) string {
			if !s.OK() {
				return "—"
			}
			return formatBytes(s.MedianRSS)
		}
		ratio := func(x float64) string {
			if x <= 0 {
				return "—"
			}
			return fmt.Sprintf("%.2f", x)
		}
		load := fmt.Sprintf("%.2f → %.2f", m.LoadStart[0], m.LoadEnd[0])
		if m.Shared {
			load += fmt.Sprintf(" (shared: above %d CPUs)", m.LogicalCPUs)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %s | %s | **%s** | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			cell(machineLabel(m)), cell(environment(m)), cell(processModelLabel(p)), cell(inputLabel(p.Input)),
			cell(processThreadsLabel(p)), p.Runs,
			secs(p.Drumsplit, p.Drumsplit.Median), secs(p.Reference, p.Reference.Median), ratio(p.WallRatio()),
			secs(p.Drumsplit, p.Drumsplit.CPUSeconds), secs(p.Reference, p.Reference.CPUSeconds), ratio(p.CPURatio()),
			rss(p.Drumsplit), rss(p.Reference), ratio(p.RSSRatio()),
			load, p.Date.UTC().Format("2006-01-02 15:04"), e.Path)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// processModelLabel: "drumsep6-w16-random (width 16: 5 scales × 2 blocks, 16 ch +16/scale), 1.8 MiB".
func processModelLabel(p Process) string {
	s := p.Model.Name
	switch {
	case p.Width > 0 && p.Model.Shape != "":
		s += fmt.Sprintf(" (width %d: %s)", p.Width, p.Model.Shape)
	case p.Width > 0:
		s += fmt.Sprintf(" (width %d)", p.Width)
	case p.Model.Shape != "":
		s += " (" + p.Model.Shape + ")"
	}
	return s + ", " + formatBytes(p.Model.SizeBytes)
}

// processThreadsLabel: "defaults" or "2", then the environment both ran with.
func processThreadsLabel(p Process) string {
	out := "defaults"
	if p.Threads > 0 {
		out = fmt.Sprint(p.Threads)
	}
	keys := make([]string, 0, len(p.Env))
	for k := range p.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out += ", " + k + "=" + p.Env[k]
	}
	return out
}

// ratioSummary summarises the drumsplit / reference ratios of one
// drumsplit run (an index into the entries): "median 0.72 (0.65–0.80) over 12".
func ratioSummary(rows []Row, run int) string {
	var xs []float64
	for _, row := range rows {
		if row.Run != run {
			continue
		}
		if x := row.Ratio(); !math.IsNaN(x) {
			xs = append(xs, x)
		}
	}
	if len(xs) == 0 {
		return "—"
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return fmt.Sprintf("median %.2f (%.2f–%.2f) over %d", Median(xs), lo, hi, len(xs))
}

// settingsLabel: "2 threads, median of 3 (1 warm-up), stft go, OMP_WAIT_POLICY=PASSIVE".
func settingsLabel(s Settings) string {
	out := fmt.Sprintf("%d threads, median of %d (%d warm-up)", s.Threads, s.Runs, s.Warmup)
	if s.STFT != "" {
		out += ", stft " + s.STFT
	}
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out += ", " + k + "=" + s.Env[k]
	}
	return out
}

func machineLabel(m Machine) string {
	s := m.CPU
	if m.LogicalCPUs > 0 {
		s += fmt.Sprintf(", %d CPUs", m.LogicalCPUs)
	}
	if m.MemoryBytes > 0 {
		s += ", " + formatBytes(m.MemoryBytes)
	}
	for _, g := range m.GPUs {
		s += "; " + g.Name
		if g.Driver != "" {
			s += " (driver " + g.Driver + ")"
		}
	}
	return s
}

func inputLabel(in Input) string {
	s := fmt.Sprintf("%.1f s %s", in.Seconds, in.Source)
	switch {
	case in.Kit != "":
		s += fmt.Sprintf(" (%s, %s, seed %d)", in.Kit, in.Style, in.Seed)
	case in.Path != "":
		s += " (" + in.Path + ")"
	}
	return s
}

func paramsLabel(m Model) string {
	if m.Params <= 0 {
		return ""
	}
	return fmt.Sprintf(", %.2f M params", float64(m.Params)/1e6)
}

func formatRTF(x float64) string {
	if x < 0.01 {
		return fmt.Sprintf("%.4f", x)
	}
	return fmt.Sprintf("%.3f", x)
}

func formatBytes(n int64) string {
	switch {
	case n <= 0:
		return "—"
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
}

func formatDuration(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	if d < time.Minute {
		return d.String()
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// cell makes s safe inside a markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// UpdateMarkdown replaces the text between BeginMarker and EndMarker in doc
// with section, or appends the markers and section when doc has none.
func UpdateMarkdown(doc []byte, section []byte) []byte {
	var out bytes.Buffer
	i := bytes.Index(doc, []byte(BeginMarker))
	j := bytes.Index(doc, []byte(EndMarker))
	if i < 0 || j < i {
		out.Write(doc)
		if len(doc) > 0 && !bytes.HasSuffix(doc, []byte("\n\n")) {
			if !bytes.HasSuffix(doc, []byte("\n")) {
				out.WriteByte('\n')
			}
			out.WriteByte('\n')
		}
		out.WriteString(BeginMarker + "\n\n")
		out.Write(section)
		out.WriteString("\n" + EndMarker + "\n")
		return out.Bytes()
	}
	out.Write(doc[:i])
	out.WriteString(BeginMarker + "\n\n")
	out.Write(section)
	out.WriteString("\n")
	out.Write(doc[j:])
	return out.Bytes()
}

// ChartFunc draws the chart of entries as an SVG image. WriteReport takes
// it from its caller so that this package, and the drumsplit binary, need
// no plotting library: internal/cmd/benchreport passes one that does.
type ChartFunc func(w io.Writer, entries []Entry) error

// WriteReport regenerates markdownPath's section from every results file
// in dir, with a link to the chart at chartPath ("" for none), relative to
// the markdown file. The chart itself is drawn there by draw; with a nil
// draw it is linked but left as it is.
func WriteReport(dir, markdownPath, chartPath string, draw ChartFunc) error {
	entries, procs, err := LoadResults(dir)
	if err != nil {
		return err
	}
	link := ""
	if chartPath != "" {
		if draw != nil {
			if err := writeAtomic(chartPath, func(w io.Writer) error { return draw(w, entries) }); err != nil {
				return fmt.Errorf("chart: %w", err)
			}
		}
		link = chartPath
		if rel, err := filepath.Rel(filepath.Dir(markdownPath), chartPath); err == nil {
			link = filepath.ToSlash(rel)
		}
	}
	var sec bytes.Buffer
	if err := Markdown(&sec, entries, link); err != nil {
		return err
	}
	sec.WriteString("\n")
	if err := ProcessMarkdown(&sec, procs); err != nil {
		return err
	}
	doc, err := os.ReadFile(markdownPath)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if len(doc) == 0 {
		doc = []byte("# Benchmarks\n")
	}
	return writeAtomic(markdownPath, func(w io.Writer) error {
		_, err := w.Write(UpdateMarkdown(doc, sec.Bytes()))
		return err
	})
}
