package stft

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The fixtures come from scripts/make_stft_fixtures.py (`make fixtures-stft`),
// run with torch 1.13; see that script for what each file holds.

type stftFixture struct {
	Name          string             `json:"name"`
	Signal        string             `json:"signal"`
	NFFT          int                `json:"n_fft"`
	Hop           int                `json:"hop"`
	Length        int                `json:"length"`
	Bins          int                `json:"bins"`
	Frames        int                `json:"frames"`
	DefaultLength int                `json:"default_length"`
	X             string             `json:"x"`
	STFT          string             `json:"stft"`
	ISTFT         string             `json:"istft"`
	ISTFTLength   string             `json:"istft_length"`
	RandSeed      uint64             `json:"rand_seed"`
	RandISTFT     map[string]*string `json:"rand_istft"`
}

type mdxFixture struct {
	Name      string `json:"name"`
	NFFT      int    `json:"n_fft"`
	Hop       int    `json:"hop"`
	DimF      int    `json:"dim_f"`
	Batch     int    `json:"batch"`
	Stems     int    `json:"stems"`
	Length    int    `json:"length"`
	Frames    int    `json:"frames"`
	OutLength int    `json:"out_length"`
	NetSeed   uint64 `json:"net_seed"`
	Audio     string `json:"audio"`
	Spec      string `json:"spec"`
	Out       string `json:"out"`
}

type fixtureIndex struct {
	TorchVersion string        `json:"torch_version"`
	STFT         []stftFixture `json:"stft"`
	MDX          []mdxFixture  `json:"mdx"`
}

func loadIndex(t testing.TB) fixtureIndex {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "index.json"))
	if err != nil {
		t.Fatalf("fixtures missing (make fixtures-stft): %v", err)
	}
	var idx fixtureIndex
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatalf("testdata/index.json: %v", err)
	}
	if len(idx.STFT) == 0 || len(idx.MDX) == 0 {
		t.Fatal("testdata/index.json lists no cases")
	}
	return idx
}

// readF32 reads a raw little-endian float32 file from testdata.
func readF32(t testing.TB, name string) []float32 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%4 != 0 {
		t.Fatalf("%s: %d bytes is not a whole number of float32", name, len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// readC64 reads interleaved (re, im) float32 pairs as complex64.
func readC64(t testing.TB, name string) []complex64 {
	t.Helper()
	return pairsToC64(readF32(t, name))
}

func pairsToC64(f []float32) []complex64 {
	c := make([]complex64, len(f)/2)
	for i := range c {
		c[i] = complex(f[2*i], f[2*i+1])
	}
	return c
}

func c64ToPairs(c []complex64) []float32 {
	f := make([]float32, 2*len(c))
	for i, v := range c {
		f[2*i], f[2*i+1] = real(v), imag(v)
	}
	return f
}

// hashNoise mirrors hash_noise in scripts/make_stft_fixtures.py: n values
// in [-1, 1) from splitmix64 of seed·2^32 + i, exact in float32.
func hashNoise(seed uint64, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		z := (seed<<32 + uint64(i)) * 0x9E3779B97F4A7C15
		z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		z ^= z >> 31
		v[i] = float32(float64(z>>40)/(1<<23) - 1)
	}
	return v
}

// The bar every comparison with torch must clear (issue 4).
const (
	maxRelL2  = 1e-6 // ‖ours − torch‖ / ‖torch‖
	maxAbsRel = 1e-5 // max |ours − torch| / max |torch|
)

// closeTo reports how far got is from want and fails t when it is over the bar.
func closeTo(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, torch has %d", what, len(got), len(want))
		return
	}
	var num, den, maxDiff, maxRef float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		num += d * d
		den += float64(want[i]) * float64(want[i])
		maxDiff = max(maxDiff, math.Abs(d))
		maxRef = max(maxRef, math.Abs(float64(want[i])))
	}
	if den == 0 {
		if maxDiff != 0 {
			t.Errorf("%s: torch is all zeros, ours differs by up to %g", what, maxDiff)
		}
		return
	}
	rel, abs := math.Sqrt(num/den), maxDiff/maxRef
	if rel > maxRelL2 || abs > maxAbsRel || math.IsNaN(rel) {
		t.Errorf("%s: relative L2 error %.3g (bar %g), max abs error %.3g × max|torch| (bar %g)", what, rel, maxRelL2, abs, maxAbsRel)
		return
	}
	t.Logf("%s: relative L2 error %.2g, max abs error %.2g × max|torch|", what, rel, abs)
}
