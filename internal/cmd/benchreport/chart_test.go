package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/internal/bench"
)

// fixtures are internal/bench's test results: two machines, two tools.
var fixtures = filepath.Join("..", "..", "bench", "testdata", "results")

// TestChart: the chart is a well-formed SVG document, with a legend entry
// per series, and an empty one still draws (valid axes, no series).
func TestChart(t *testing.T) {
	entries, err := bench.LoadDir(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatalf("no runs in %s", fixtures)
	}
	for _, es := range [][]bench.Entry{entries, nil} {
		var b bytes.Buffer
		if err := Chart(&b, es); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(bytes.NewReader(b.Bytes()))
		root := ""
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("chart is not well-formed XML: %v", err)
			}
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		if root != "svg" {
			t.Errorf("chart root element %q, want svg", root)
		}
		for _, s := range bench.ChartSeries(es) {
			if !strings.Contains(b.String(), xmlText(s.Label)) {
				t.Errorf("chart legend lacks %q", s.Label)
			}
		}
	}
}

// xmlText is s as it appears in the SVG's text.
func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func TestTicks125(t *testing.T) {
	for _, tc := range []struct {
		min, max float64
		want     []float64
	}{
		{0.003, 0.6, []float64{0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5}},
		{0.15, 0.45, []float64{0.2}},
		{1, 10, []float64{1, 2, 5, 10}},
		{0, 1, nil},  // not a logarithmic range
		{2, 1, nil},  // reversed
		{-1, 1, nil}, // negative
	} {
		var got []float64
		for _, tk := range (ticks125{}).Ticks(tc.min, tc.max) {
			got = append(got, tk.Value)
		}
		if len(got) != len(tc.want) {
			t.Errorf("Ticks(%g, %g) = %v, want %v", tc.min, tc.max, got, tc.want)
			continue
		}
		for i := range got {
			if d := got[i] - tc.want[i]; d > 1e-12*tc.want[i] || d < -1e-12*tc.want[i] {
				t.Errorf("Ticks(%g, %g) = %v, want %v", tc.min, tc.max, got, tc.want)
				break
			}
		}
	}
}
