package eval

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

type fixtureCase struct {
	Name      string  `json:"name"`
	Channels  int     `json:"channels"`
	Reference string  `json:"reference"`
	Estimate  string  `json:"estimate"`
	SDR       float64 `json:"sdr"`
	SISDR     float64 `json:"si_sdr"`
}

func decodeSignal(t *testing.T, s string, channels int) [][]float32 {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	n := len(raw) / 4 / channels
	x := make([][]float32, channels)
	for c := range x {
		x[c] = make([]float32, n)
		for i := range x[c] {
			x[c][i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(c*n+i):]))
		}
	}
	return x
}

// TestNumpyFixture compares SDR and SI-SDR with scripts/eval_reference.py's
// numpy results (testdata/eval/fixture.json, made by make fixtures-eval).
func TestNumpyFixture(t *testing.T) {
	data, err := os.ReadFile("../testdata/eval/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Epsilon float64       `json:"epsilon"`
		Cases   []fixtureCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	if fx.Epsilon != Epsilon || len(fx.Cases) < 8 {
		t.Fatalf("fixture epsilon %g, %d cases", fx.Epsilon, len(fx.Cases))
	}
	for _, c := range fx.Cases {
		ref, est := decodeSignal(t, c.Reference, c.Channels), decodeSignal(t, c.Estimate, c.Channels)
		t.Logf("%s: |ΔSDR| %.1g dB, |ΔSI-SDR| %.1g dB", c.Name, math.Abs(SDR(ref, est)-c.SDR), math.Abs(SISDR(ref, est)-c.SISDR))
		if got := SDR(ref, est); math.Abs(got-c.SDR) > 1e-4 {
			t.Errorf("%s: SDR %.6f dB, numpy %.6f", c.Name, got, c.SDR)
		}
		if got := SISDR(ref, est); math.Abs(got-c.SISDR) > 1e-4 {
			t.Errorf("%s: SI-SDR %.6f dB, numpy %.6f", c.Name, got, c.SISDR)
		}
	}
}

func TestPerfectEstimateCap(t *testing.T) {
	ref := [][]float32{{0.5, -0.25, 1}, {0, 0.5, -1}}
	e := Energy(ref) // 0.25+0.0625+1+0+0.25+1
	if math.Abs(e-2.5625) > 1e-12 {
		t.Fatalf("energy %v", e)
	}
	want := 10 * math.Log10((e+1e-8)/1e-8)
	if got := SDR(ref, ref); math.Abs(got-want) > 1e-9 {
		t.Errorf("SDR(ref, ref) = %v, want %v", got, want)
	}
	if got := SISDR(ref, ref); math.Abs(got-10*math.Log10(e/1e-8+1e-8)) > 1e-9 {
		t.Errorf("SISDR(ref, ref) = %v", got)
	}
	silent := [][]float32{{0, 0}, {0, 0}}
	if got := SDR(silent, silent); got != 0 {
		t.Errorf("SDR of silence = %v", got)
	}
}

func TestTrim(t *testing.T) {
	r, e, err := Trim([][]float32{{1, 2, 3}, {4, 5, 6}}, [][]float32{{1, 2}, {4, 5}})
	if err != nil || len(r[0]) != 2 || len(e[1]) != 2 {
		t.Errorf("trim: %v %v %v", r, e, err)
	}
	if _, _, err := Trim([][]float32{{1}}, [][]float32{{1}, {2}}); err == nil {
		t.Error("channel mismatch accepted")
	}
}

// A half-level estimate loses 6 dB of SDR; SI-SDR forgives the scale and
// is capped by epsilon (the residual of α·ref − est is ~1e-8 here).
func ExampleSDR() {
	ref := [][]float32{{1, -1, 1, -1}, {1, 1, -1, -1}}
	half := [][]float32{{0.5, -0.5, 0.5, -0.5}, {0.5, 0.5, -0.5, -0.5}}
	fmt.Printf("SDR %.2f dB, SI-SDR %.1f dB\n", SDR(ref, half), SISDR(ref, half))
	// Output: SDR 6.02 dB, SI-SDR 83.0 dB
}
