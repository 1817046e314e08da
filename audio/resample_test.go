package audio

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// commonRatios are the conversions drumsplit does most (model rate 44.1k).
var commonRatios = [][2]int{{48000, 44100}, {22050, 44100}, {96000, 44100}, {8000, 44100}, {44100, 48000}}

// sine returns n samples of amp·sin(2πf·i/rate + phase).
func sine(n int, f, rate, amp, phase float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(amp * math.Sin(2*math.Pi*f*float64(i)/rate+phase))
	}
	return s
}

// fitTone returns the amplitude of the least-squares fit of a sinusoid at
// frequency f to x, and the RMS of what is left.
func fitTone(x []float32, f, rate float64) (amp, resid float64) {
	amp, _, resid = fitTonePhase(x, f, rate, 0)
	return amp, resid
}

// fitTonePhase fits amp·sin(2πf·(i+start)/rate + phase) to x and returns
// amp, phase and the RMS of the residual.
func fitTonePhase(x []float32, f, rate float64, start int) (amp, phase, resid float64) {
	var ss, sc, cc, xs, xc float64
	for i, v := range x {
		s, c := math.Sincos(2 * math.Pi * f * float64(i+start) / rate)
		ss += s * s
		sc += s * c
		cc += c * c
		xs += float64(v) * s
		xc += float64(v) * c
	}
	det := ss*cc - sc*sc
	a := (xs*cc - xc*sc) / det
	b := (xc*ss - xs*sc) / det
	var e float64
	for i, v := range x {
		s, c := math.Sincos(2 * math.Pi * f * float64(i+start) / rate)
		d := float64(v) - a*s - b*c
		e += d * d
	}
	return math.Hypot(a, b), math.Atan2(b, a), math.Sqrt(e / float64(len(x)))
}

func dB(x float64) float64 { return 20 * math.Log10(x) }

// resampleTone resamples a tone and returns the steady-state part of the
// output (the filter's edge transients are cut off).
func resampleTone(t *testing.T, from, to int, f float64) []float32 {
	t.Helper()
	const amp = 0.5
	n := from / 4 // 0.25 s
	out, err := Resample(&Buffer{SampleRate: from, Data: [][]float32{sine(n, f, float64(from), amp, 0.3)}}, to)
	if err != nil {
		t.Fatal(err)
	}
	edge := 2 * 128 * max(to/from, 1) // beyond the filter's reach at the output rate
	return out.Data[0][edge : len(out.Data[0])-edge]
}

// TestResamplePassbandAndStopband measures the frequency response with
// tones: passband ripple up to 0.45·min(rate), and attenuation of whatever
// lands above 0.55·min(rate) (aliases when downsampling, images when
// upsampling). It logs the measured figures.
func TestResamplePassbandAndStopband(t *testing.T) {
	const amp = 0.5
	// 192001→8000 has L = 8000 and a 1500-tap filter: it uses the
	// interpolated table with branches thinned for its low cutoff.
	for _, rc := range append(commonRatios, [2]int{192001, 8000}) {
		from, to := rc[0], rc[1]
		t.Run(fmt.Sprintf("%d-%d", from, to), func(t *testing.T) {
			minRate := float64(min(from, to))
			// Passband: gain at tones from 20 Hz to 0.45·min. When
			// upsampling, what is left after removing the tone is the
			// image energy, which must be in the stopband.
			ripple, worstImage := 0.0, -400.0
			for k := 0; k <= 24; k++ {
				f := 20 + (0.45*minRate-20)*float64(k)/24
				out := resampleTone(t, from, to, f)
				a, resid := fitTone(out, f, float64(to))
				ripple = math.Max(ripple, math.Abs(dB(a/amp)))
				if to > from {
					worstImage = math.Max(worstImage, dB(resid*math.Sqrt2/amp))
				}
			}
			t.Logf("passband ripple ≤ %.5f dB (0…0.45·min)", ripple)
			if ripple > 0.1 {
				t.Errorf("passband ripple %.4f dB > 0.1 dB", ripple)
			}
			if to > from {
				t.Logf("images of passband tones: ≤ %.1f dB", worstImage)
				if worstImage > -90 {
					t.Errorf("image level %.1f dB > -90 dB", worstImage)
				}
				return
			}
			// Downsampling: tones from 0.55·to up to the input Nyquist must
			// come out attenuated by ≥ 90 dB (they can only alias). For
			// 48000→44100 that range is empty (0.55·44100 > 24000); the
			// prototype response test covers it.
			if 0.55*minRate >= 0.499*float64(from) {
				return
			}
			worst := -400.0
			for k := 0; k <= 24; k++ {
				f := 0.55*minRate + (0.499*float64(from)-0.55*minRate)*float64(k)/24
				out := resampleTone(t, from, to, f)
				var e float64
				for _, v := range out {
					e += float64(v) * float64(v)
				}
				worst = math.Max(worst, dB(math.Sqrt(e/float64(len(out)))*math.Sqrt2/amp))
			}
			t.Logf("stopband (≥ 0.55·min): ≤ %.1f dB", worst)
			if worst > -90 {
				t.Errorf("stopband leakage %.1f dB > -90 dB", worst)
			}
		})
	}
}

// TestResampleFilterResponse measures the effective prototype filter (all
// polyphase branches interleaved, as normalised) on a dense FFT grid at the
// upsampled rate: ripple up to 0.45·min, attenuation from 0.55·min to the
// upsampled Nyquist frequency.
func TestResampleFilterResponse(t *testing.T) {
	for _, rc := range commonRatios {
		from, to := rc[0], rc[1]
		r, err := NewResampler(from, to, 1)
		if err != nil {
			t.Fatal(err)
		}
		L := int(r.l)
		h := make([]float64, 1<<17)
		if L*r.taps > len(h) {
			t.Fatalf("%d→%d: prototype too long for the grid", from, to)
		}
		for p := 0; p < L; p++ {
			for m := 0; m < r.taps; m++ {
				h[p+L*(r.half-1-m)+L*r.half] = float64(r.bank[p*r.taps+m])
			}
		}
		fft := fourier.NewFFT(len(h))
		c := fft.Coefficients(nil, h)
		dc := real(c[0])
		upRate := float64(L * from)
		minRate := float64(min(from, to))
		ripple, stop := 0.0, -400.0
		for k, v := range c {
			f := fft.Freq(k) * upRate
			g := dB(math.Hypot(real(v), imag(v)) / dc)
			switch {
			case f <= 0.45*minRate:
				ripple = math.Max(ripple, math.Abs(g))
			case f >= 0.55*minRate:
				stop = math.Max(stop, g)
			}
		}
		t.Logf("%d→%d: %d taps/branch × %d branches; ripple ≤ %.5f dB to 0.45·min, stopband ≤ %.1f dB from 0.55·min",
			from, to, r.taps, L, ripple, stop)
		if ripple > 0.1 || stop > -90 {
			t.Errorf("%d→%d: ripple %.4f dB, stopband %.1f dB", from, to, ripple, stop)
		}
	}
}

// TestResampleLengthAndAlignment checks round(n·to/from) output frames and
// that output sample k is the input at time k·from/to (no delay).
func TestResampleLengthAndAlignment(t *testing.T) {
	for _, rc := range append(commonRatios, [2]int{44100, 44101}, [2]int{11127, 44100}) {
		from, to := rc[0], rc[1]
		for _, n := range []int{0, 1, 2, 3, 7, 100, 1001} {
			b := &Buffer{SampleRate: from, Data: [][]float32{make([]float32, n), make([]float32, n)}}
			out, err := Resample(b, to)
			if err != nil {
				t.Fatal(err)
			}
			want := int(math.Floor(float64(n)*float64(to)/float64(from) + 0.5))
			if out.Frames() != want || out.NumChannels() != 2 || out.SampleRate != to {
				t.Errorf("%d→%d, n=%d: %d frames × %d ch @ %d, want %d frames", from, to, n, out.Frames(), out.NumChannels(), out.SampleRate, want)
			}
		}
		// A 1 kHz tone must land on the same tone sampled at the new rate:
		// any delay would show as a phase error.
		n := from / 5
		in := sine(n, 1000, float64(from), 0.5, 0.3)
		out, err := Resample(&Buffer{SampleRate: from, Data: [][]float32{in}}, to)
		if err != nil {
			t.Fatal(err)
		}
		ref := sine(out.Frames(), 1000, float64(to), 0.5, 0.3)
		edge := 4096
		var e float64
		for i := edge; i < out.Frames()-edge; i++ {
			d := float64(out.Data[0][i] - ref[i])
			e += d * d
		}
		rel := dB(math.Sqrt(e/float64(out.Frames()-2*edge)) * math.Sqrt2 / 0.5)
		if rel > -90 {
			t.Errorf("%d→%d: error against the ideal output %.1f dB (misaligned?)", from, to, rel)
		}
	}
}

// TestResampleStreaming checks that Process in arbitrary blocks + Flush
// equals Resample exactly, that a Resampler is reusable after Flush, and
// that ResampleReader gives the same result.
func TestResampleStreaming(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, rc := range append(commonRatios, [2]int{44100, 44101}) {
		from, to := rc[0], rc[1]
		sig := testSignal(2, 30011, from, 0.7)
		for i := range sig[0] {
			sig[0][i] += float32(rng.NormFloat64() * 0.1)
		}
		whole, err := Resample(&Buffer{SampleRate: from, Data: sig}, to)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewResampler(from, to, 2)
		if err != nil {
			t.Fatal(err)
		}
		for pass := 0; pass < 2; pass++ {
			var out [][]float32
			for i := 0; i < len(sig[0]); {
				j := min(i+rng.IntN(3000), len(sig[0]))
				out, err = r.Process(out, [][]float32{sig[0][i:j], sig[1][i:j]})
				if err != nil {
					t.Fatal(err)
				}
				i = j
			}
			out = r.Flush(out)
			if len(out[0]) != whole.Frames() || maxAbsDiff(out, whole.Data) != 0 {
				t.Errorf("%d→%d pass %d: streaming gives %d frames, max diff %g", from, to, pass, len(out[0]), maxAbsDiff(out, whole.Data))
			}
		}
		// ResampleReader over a WAV reader.
		file := buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(wavFormatFloat, 2, from, 32, true)},
			wavChunk{id: "data", body: pcmData(sig, wavFormatFloat, 32)})
		src, err := NewReader(bytesReader(file), "mem")
		if err != nil {
			t.Fatal(err)
		}
		rr, err := ResampleReader(src, to)
		if err != nil {
			t.Fatal(err)
		}
		if rr.Info().Frames != int64(whole.Frames()) || rr.Info().SampleRate != to {
			t.Errorf("ResampleReader info %+v", rr.Info())
		}
		got, err := ReadAll(rr)
		if err != nil {
			t.Fatal(err)
		}
		if got.Frames() != whole.Frames() || maxAbsDiff(got.Data, whole.Data) != 0 {
			t.Errorf("%d→%d: ResampleReader differs", from, to)
		}
		if n, err := rr.Read(got.Data); n != 0 || err != io.EOF {
			t.Errorf("Read after end = %d, %v", n, err)
		}
	}
}

// TestResampleErrors checks argument validation.
func TestResampleErrors(t *testing.T) {
	for _, c := range [][3]int{{0, 44100, 2}, {44100, -1, 2}, {44100, 48000, 0}, {1 << 24, 1, 1}} {
		if _, err := NewResampler(c[0], c[1], c[2]); err == nil {
			t.Errorf("NewResampler%v succeeded", c)
		}
	}
	r, _ := NewResampler(48000, 44100, 2)
	if _, err := r.Process(nil, [][]float32{{1}}); err == nil {
		t.Error("Process with wrong channel count succeeded")
	}
	if _, err := r.Process(nil, [][]float32{{1}, {1, 2}}); err == nil {
		t.Error("Process with ragged channels succeeded")
	}
}

// bandSNR returns, in dB, the energy of ref against that of ref-x counting
// only FFT bins below fmax (Hz), over the middle of the signals.
func bandSNR(ref, x []float32, rate, fmax float64) float64 {
	const edge = 4096
	n := len(ref) - 2*edge
	fft := fourier.NewFFT(n)
	a := make([]float64, n)
	d := make([]float64, n)
	for i := range a {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n)) // Hann
		a[i] = float64(ref[edge+i]) * w
		d[i] = float64(ref[edge+i]-x[edge+i]) * w
	}
	ca, cd := fft.Coefficients(nil, a), fft.Coefficients(nil, d)
	var ea, ed float64
	for k := range ca {
		if fft.Freq(k)*rate > fmax {
			break
		}
		ea += real(ca[k])*real(ca[k]) + imag(ca[k])*imag(ca[k])
		ed += real(cd[k])*real(cd[k]) + imag(cd[k])*imag(cd[k])
	}
	return 10 * math.Log10(ea/ed)
}

// TestResampleAgainstSox compares our output with sox's very-high-quality
// linear-phase resampler on a sine sweep and on white noise: below
// 0.4·min(rate), where both are flat, the two must agree to > 60 dB.
func TestResampleAgainstSox(t *testing.T) {
	requireTool(t, "sox")
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, rc := range commonRatios {
		from, to := rc[0], rc[1]
		n := from // 1 s
		sweep := make([]float32, n)
		noise := make([]float32, n)
		f0, f1 := 20.0, 0.5*float64(from)
		for i := range sweep {
			tt := float64(i) / float64(from)
			// Exponential sweep over the whole input band.
			ph := 2 * math.Pi * f0 * float64(n) / float64(from) / math.Log(f1/f0) * (math.Pow(f1/f0, tt*float64(from)/float64(n)) - 1)
			sweep[i] = float32(0.4 * math.Sin(ph))
			noise[i] = float32(max(-0.5, min(0.5, 0.1*rng.NormFloat64())))
		}
		in := &Buffer{SampleRate: from, Data: [][]float32{sweep, noise}}
		inPath := filepath.Join(dir, fmt.Sprintf("in-%d.wav", from))
		outPath := filepath.Join(dir, fmt.Sprintf("sox-%d-%d.wav", from, to))
		if _, err := WriteFile(inPath, in, Encoding{"wav", 32}); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sox", "-D", inPath, "-e", "floating-point", "-b", "32", outPath, "rate", "-v", fmt.Sprint(to))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sox: %v\n%s", err, out)
		}
		ref, _, err := DecodeFile(outPath)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := Resample(in, to)
		if err != nil {
			t.Fatal(err)
		}
		if ref.Frames() != ours.Frames() {
			t.Errorf("%d→%d: sox gives %d frames, we give %d", from, to, ref.Frames(), ours.Frames())
			continue
		}
		fmax := 0.4 * float64(min(from, to))
		for ch, name := range []string{"sweep", "noise"} {
			snr := bandSNR(ref.Data[ch], ours.Data[ch], float64(to), fmax)
			t.Logf("%d→%d %s: agreement with sox below %.0f Hz: %.1f dB", from, to, name, fmax, snr)
			if snr < 60 {
				t.Errorf("%d→%d %s: agreement with sox %.1f dB < 60 dB", from, to, name, snr)
			}
		}
	}
}
