package separator

import (
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
)

// memReader is an audio.Reader over planar samples, delivering at most
// block frames per Read.
type memReader struct {
	data  [][]float32
	rate  int
	pos   int
	block int
	known bool // Frames is known in advance
}

func (m *memReader) Info() audio.Info {
	f := int64(-1)
	if m.known {
		f = int64(len(m.data[0]))
	}
	return audio.Info{Format: "wav", SampleRate: m.rate, Channels: len(m.data), Frames: f}
}

func (m *memReader) Read(dst [][]float32) (int, error) {
	if m.pos >= len(m.data[0]) {
		return 0, io.EOF
	}
	n := min(len(dst[0]), m.block, len(m.data[0])-m.pos)
	for ch := range dst {
		copy(dst[ch][:n], m.data[ch][m.pos:])
	}
	m.pos += n
	return n, nil
}

func (m *memReader) Close() error { return nil }

func stereoNoise(frames int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := [][]float32{make([]float32, frames), make([]float32, frames)}
	for ch := range d {
		for i := range d[ch] {
			d[ch][i] = float32(rng.NormFloat64() * 0.3)
		}
	}
	return d
}

// fakeSeparate plays a model with S stems: it reads src to the end and
// writes, in pieces of uneven size, stems that are different functions of
// the input (so they sum to nothing in particular).
func fakeSeparate(t *testing.T, src Source, dst Sink, S int) {
	t.Helper()
	var in [][]float32 = [][]float32{nil, nil}
	buf := [][]float32{make([]float32, 777), make([]float32, 777)}
	for {
		n, err := src.Read(buf)
		for ch := range in {
			in[ch] = append(in[ch], buf[ch][:n]...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for pos, piece := 0, 1; pos < len(in[0]); pos, piece = pos+piece, piece*3%1009+1 {
		end := min(pos+piece, len(in[0]))
		stems := make([][][]float32, S)
		for s := range stems {
			stems[s] = make([][]float32, 2)
			for ch := range stems[s] {
				c := make([]float32, end-pos)
				for i := range c {
					x := float64(in[ch][pos+i])
					c[i] = float32(math.Sin(float64(s+1)*x) * float64(s+1) / 4)
				}
				stems[s][ch] = c
			}
		}
		if err := dst.Write(stems); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOutputResidual: the stems written plus the residual equal the
// decoded input within float32 rounding at the input's rate, whatever the
// model's rate and the stems selected, and every output is as long as the
// input at the output rate.
func TestOutputResidual(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		inRate, model, outRate int
		stems                  []int
		known                  bool
	}{
		{"same rates", 44100, 44100, 0, []int{0, 1, 2}, true},
		{"48k input, keep", 48000, 44100, 0, []int{0, 2}, true},
		{"48k input, keep, unknown length", 48000, 44100, 0, []int{1}, false},
		{"22.05k input, keep", 22050, 44100, 0, []int{0, 1, 2}, true},
		{"48k input to 96k", 48000, 44100, 96000, []int{2}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const frames = 9001
			in := stereoNoise(frames, 7)
			var got [][][]float32
			emit := func(out [][][]float32) error {
				if got == nil {
					got = make([][][]float32, len(out))
					for k := range got {
						got[k] = [][]float32{nil, nil}
					}
				}
				for k := range out {
					for ch := range out[k] {
						got[k][ch] = append(got[k][ch], out[k][ch]...)
					}
				}
				return nil
			}
			o, src, err := NewOutput(&memReader{data: in, rate: tc.inRate, block: 1000, known: tc.known}, tc.model, tc.outRate, tc.stems, true, emit)
			if err != nil {
				t.Fatal(err)
			}
			fakeSeparate(t, src, o, 3)
			if err := o.Finish(); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.stems)+1 {
				t.Fatalf("%d outputs, want %d", len(got), len(tc.stems)+1)
			}
			ref := in
			outRate := tc.outRate
			if outRate == 0 {
				outRate = tc.inRate
			} else {
				b, err := audio.Resample(&audio.Buffer{SampleRate: tc.inRate, Data: in}, outRate)
				if err != nil {
					t.Fatal(err)
				}
				ref = b.Data
			}
			if o.Rate() != outRate {
				t.Errorf("Rate() = %d, want %d", o.Rate(), outRate)
			}
			for k := range got {
				for ch := range got[k] {
					if len(got[k][ch]) != len(ref[0]) {
						t.Fatalf("output %d channel %d: %d frames, want %d", k, ch, len(got[k][ch]), len(ref[0]))
					}
				}
			}
			worst := 0.0
			for ch := range ref {
				for i, x := range ref[ch] {
					sum := 0.0
					for k := range got {
						sum += float64(got[k][ch][i])
					}
					// One float32 rounding of the residual.
					tol := math.Abs(float64(got[len(got)-1][ch][i]))*0x1p-24 + 1e-30
					if d := math.Abs(sum - float64(x)); d > tol {
						t.Fatalf("frame %d channel %d: stems + residual = %g, input %g", i, ch, sum, x)
					}
					worst = max(worst, math.Abs(sum-float64(x)))
				}
			}
			// The stems are not trivially zero: the residual is not the input.
			if d := maxAbsDiff(got[len(got)-1], ref); d < 0.01 {
				t.Errorf("residual equals the input (stems silent?): max diff %g", d)
			}
			t.Logf("worst |stems + residual - input| = %g", worst)
		})
	}
}

// TestOutputRate: without the residual, the stems come at the output
// rate, as long as the input at that rate; at the model's own rate they
// are the model's samples unchanged.
func TestOutputRate(t *testing.T) {
	const frames = 5000
	in := stereoNoise(frames, 9)
	for _, outRate := range []int{44100, 48000, 0} {
		var got [][]float32 = [][]float32{nil, nil}
		var direct [][]float32 = [][]float32{nil, nil}
		o, src, err := NewOutput(&memReader{data: in, rate: 44100, block: 512, known: true}, 44100, outRate, []int{1}, false,
			func(out [][][]float32) error {
				if len(out) != 1 {
					t.Fatalf("%d outputs without residual, want 1", len(out))
				}
				for ch := range out[0] {
					got[ch] = append(got[ch], out[0][ch]...)
				}
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		fakeSeparate(t, src, SinkFunc(func(stems [][][]float32) error {
			for ch := range stems[1] {
				direct[ch] = append(direct[ch], stems[1][ch]...)
			}
			return o.Write(stems)
		}), 3)
		if err := o.Finish(); err != nil {
			t.Fatal(err)
		}
		want := direct
		if outRate == 48000 {
			b, err := audio.Resample(&audio.Buffer{SampleRate: 44100, Data: direct}, 48000)
			if err != nil {
				t.Fatal(err)
			}
			want = b.Data
		}
		if len(got[0]) != len(want[0]) {
			t.Fatalf("rate %d: %d frames, want %d", outRate, len(got[0]), len(want[0]))
		}
		if d := maxAbsDiff(got, want); d != 0 {
			t.Errorf("rate %d: differs from the stem resampled in one piece by %g", outRate, d)
		}
	}
}

func maxAbsDiff(a, b [][]float32) float64 {
	d := 0.0
	for ch := range a {
		for i := range a[ch] {
			d = max(d, math.Abs(float64(a[ch][i])-float64(b[ch][i])))
		}
	}
	return d
}
