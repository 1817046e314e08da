package audio

import (
	"context"
	"io"
	"math"
	"math/bits"
)

// Resampler design. The prototype low-pass filter is a Kaiser-windowed sinc
// designed for resamplerAttenuation dB with its transition band between
// 0.45 and 0.55 of the lower of the two rates (cutoff at the new Nyquist
// frequency, 0.5·min). So:
//
//   - passband: flat to within ±0.001 dB (the Kaiser ripple δ = 10^(-A/20))
//     from 0 to 0.45·min(from, to);
//   - stopband: at least resamplerAttenuation dB of attenuation at and above
//     0.55·min(from, to). When downsampling, content between 0.5 and 0.55·to
//     is only partly removed and folds into 0.45…0.5·to, i.e. into the
//     transition band, never into the passband;
//   - linear phase, with the group delay compensated: output sample k is
//     the band-limited input evaluated at time k·from/to, exactly.
//
// The filter is split into L polyphase branches for the rational ratio
// to/from = L/M (reduced by their gcd), one per output sub-sample position,
// each normalised to unit DC gain. Ratios whose table would be too large
// (L above resamplerTablePhases, as for odd rates such as 44101 Hz, or L
// branches of a long filter above resamplerMaxBank coefficients) use fewer
// branches and interpolate linearly between the two nearest. Linear
// interpolation errs by about (Δ·2π·fc)²/8 for a branch spacing Δ (in input
// samples) and a cutoff fc (cycles per input sample), so the spacing can
// grow as the cutoff falls: resamplerTablePhases·2fc branches keep the
// coefficient error below -120 dB for every ratio, and the table near
// resamplerTablePhases·64 coefficients however long the filter is.
//
// With rates limited to MinSampleRate..MaxSampleRate, the filter has at
// most about 50000 taps (768 kHz to 1 kHz), the table at most
// resamplerMaxBank coefficients, and the work per output sample is bounded;
// the whole-buffer and streaming paths below feed the filter in pieces whose
// output is at most about resamplerBlock frames, so memory is bounded by the
// output asked for and a cancellation is seen between pieces.
const (
	resamplerAttenuation = 100.0   // dB, designed; ≥ 90 dB is the requirement
	resamplerTransition  = 0.10    // transition band width, as a fraction of min(from, to)
	resamplerTablePhases = 4096    // branches used when L exceeds it, for a full-band cutoff
	resamplerMaxBank     = 1 << 20 // coefficients in a table with one branch per phase
	resamplerMaxTaps     = 1 << 16
	resamplerBlock       = 1 << 16 // output frames per piece in Resample, about
)

// A Resampler converts audio between two sample rates with a band-limited
// (windowed-sinc) polyphase filter. It is streaming: call Process any number
// of times with consecutive input blocks, then Flush once to get the tail.
// After Flush the Resampler is reset and can take a new stream.
//
// The total output length of a stream of n input frames is
// round(n·to/from), and output is time-aligned with input (no delay).
// A Resampler is not safe for concurrent use.
type Resampler struct {
	from, to int
	channels int
	l, m     int64 // to/from = l/m, reduced

	taps   int       // filter taps per branch (even)
	half   int       // taps/2
	nph    int       // branches in bank
	interp bool      // bank has nph+1 rows and is interpolated
	bank   []float32 // nph(+1) rows of taps coefficients

	hist [][]float32 // input history per channel; hist[ch][0] is input index base
	base int64
	// Position of the next output sample in input time: ipos + phase/l.
	ipos  int64
	phase int64
	nIn   int64 // input frames consumed in this stream
	nOut  int64 // output frames produced in this stream
}

// NewResampler returns a Resampler from fromRate to toRate for the given
// number of channels.
func NewResampler(fromRate, toRate, channels int) (*Resampler, error) {
	if err := checkRate("", int64(fromRate)); err != nil {
		return nil, err
	}
	if err := checkRate("", int64(toRate)); err != nil {
		return nil, err
	}
	if channels <= 0 || channels > maxChannels {
		return nil, errorf("", nil, "resampler: bad channel count %d", channels)
	}
	g := gcd(fromRate, toRate)
	r := &Resampler{from: fromRate, to: toRate, channels: channels,
		l: int64(toRate / g), m: int64(fromRate / g)}
	minRate := float64(min(fromRate, toRate))
	// Kaiser's estimate of the length for attenuation A and transition width
	// Δf (cycles per input sample): N = (A - 7.95) / (2.285 · 2π · Δf).
	df := resamplerTransition * minRate / float64(fromRate)
	n := (resamplerAttenuation - 7.95) / (2.285 * 2 * math.Pi * df)
	if n > resamplerMaxTaps {
		return nil, errorf("", ErrRate, "resampler: ratio %d -> %d too large", fromRate, toRate)
	}
	taps := int(math.Ceil(n))
	taps += taps & 1
	r.taps, r.half = taps, taps/2
	r.nph = int(r.l)
	if r.l > resamplerTablePhases || r.l*int64(taps) > resamplerMaxBank {
		// 2fc = minRate/fromRate: fewer branches for a lower cutoff.
		r.nph = max(int(math.Ceil(resamplerTablePhases*minRate/float64(fromRate))), 2)
		r.interp = true
	}
	rows := r.nph
	if r.interp {
		rows++
	}
	r.bank = make([]float32, rows*taps)
	fc := 0.5 * minRate / float64(fromRate) // cutoff, cycles per input sample
	beta := kaiserBeta(resamplerAttenuation)
	i0b := besselI0(beta)
	row := make([]float64, taps)
	for p := 0; p < rows; p++ {
		frac := float64(p) / float64(r.nph)
		sum := 0.0
		for k := range row {
			t := frac + float64(r.half-1) - float64(k)
			x := t / float64(r.half)
			w := 0.0
			if x*x < 1 {
				w = besselI0(beta*math.Sqrt(1-x*x)) / i0b
			}
			row[k] = 2 * fc * sinc(2*fc*t) * w
			sum += row[k]
		}
		for k, v := range row {
			r.bank[p*taps+k] = float32(v / sum)
		}
	}
	r.hist = make([][]float32, channels)
	r.reset()
	return r, nil
}

// reset starts a new stream: history holds the zeros before input index 0.
func (r *Resampler) reset() {
	for ch := range r.hist {
		h := r.hist[ch][:0]
		for range r.half - 1 {
			h = append(h, 0)
		}
		r.hist[ch] = h
	}
	r.base = -int64(r.half - 1)
	r.ipos, r.phase, r.nIn, r.nOut = 0, 0, 0, 0
}

// Taps returns the number of filter taps per output sample (per channel):
// the work done per output sample, and twice the look-ahead in input frames.
func (r *Resampler) Taps() int { return r.taps }

// Process resamples src (src[ch] for each channel, all of equal length) and
// appends the output frames now available to dst[ch], returning the extended
// slices. dst may be nil. Output lags input by about Taps()/2 input frames
// until Flush.
func (r *Resampler) Process(dst, src [][]float32) ([][]float32, error) {
	if len(src) != r.channels {
		return dst, errorf("", nil, "resampler: src has %d channels, want %d", len(src), r.channels)
	}
	if dst == nil {
		dst = make([][]float32, r.channels)
	} else if len(dst) != r.channels {
		return dst, errorf("", nil, "resampler: dst has %d channels, want %d", len(dst), r.channels)
	}
	n := len(src[0])
	for _, s := range src[1:] {
		if len(s) != n {
			return dst, errorf("", nil, "resampler: src channels differ in length")
		}
	}
	for ch := range r.hist {
		r.hist[ch] = append(r.hist[ch], src[ch]...)
	}
	r.nIn += int64(n)
	r.run(dst, -1)
	return dst, nil
}

// Flush appends the remaining output of the stream to dst and resets the
// Resampler for a new stream.
func (r *Resampler) Flush(dst [][]float32) [][]float32 {
	if dst == nil {
		dst = make([][]float32, r.channels)
	}
	// Zeros after the end let the last outputs see their full window.
	for ch := range r.hist {
		for range r.half {
			r.hist[ch] = append(r.hist[ch], 0)
		}
	}
	r.run(dst, outLen(r.nIn, r.l, r.m))
	r.reset()
	return dst
}

// outLen returns round(n·l/m) without overflow.
func outLen(n, l, m int64) int64 {
	hi, lo := bits.Mul64(uint64(n), uint64(2*l))
	lo, c := bits.Add64(lo, uint64(m), 0)
	hi += c
	q, _ := bits.Div64(hi, lo, uint64(2*m))
	return int64(q)
}

// run produces every output whose window lies inside the history, stopping
// at limit outputs in all (limit < 0: no limit), then drops history no
// longer needed.
func (r *Resampler) run(dst [][]float32, limit int64) {
	avail := r.base + int64(len(r.hist[0])) // one past the last input index held
	// Count the outputs first so each channel runs the same loop.
	count := int64(0)
	ipos, phase := r.ipos, r.phase
	for ipos+int64(r.half) < avail && (limit < 0 || r.nOut+count < limit) {
		count++
		phase += r.m
		ipos += phase / r.l
		phase %= r.l
	}
	if count > 0 {
		for ch := range dst {
			out := grow(dst[ch], int(count))
			r.filter(out[len(out)-int(count):], r.hist[ch])
			dst[ch] = out
		}
		r.ipos, r.phase = ipos, phase
		r.nOut += count
	}
	// Keep history from the first input the next output needs.
	drop := r.ipos - int64(r.half-1) - r.base
	if drop > 0 {
		drop = min(drop, int64(len(r.hist[0])))
		for ch := range r.hist {
			h := r.hist[ch]
			r.hist[ch] = h[:copy(h, h[drop:])]
		}
		r.base += drop
	}
}

// filter computes len(out) outputs starting at the Resampler's current
// position from hist (one channel's history).
func (r *Resampler) filter(out, hist []float32) {
	ipos, phase := r.ipos, r.phase
	taps := r.taps
	off0 := -int64(r.half-1) - r.base
	if !r.interp {
		for k := range out {
			s := int(ipos + off0)
			c := r.bank[int(phase)*taps : int(phase)*taps+taps]
			out[k] = dot(c, hist[s:s+taps])
			phase += r.m
			ipos += phase / r.l
			phase %= r.l
		}
		return
	}
	scale := float64(r.nph) / float64(r.l)
	for k := range out {
		s := int(ipos + off0)
		x := hist[s : s+taps]
		pf := float64(phase) * scale
		p := int(pf)
		a := float32(pf - float64(p))
		c0 := r.bank[p*taps : p*taps+taps]
		c1 := r.bank[(p+1)*taps : (p+1)*taps+taps]
		y0, y1 := dot(c0, x), dot(c1, x)
		out[k] = y0 + a*(y1-y0)
		phase += r.m
		ipos += phase / r.l
		phase %= r.l
	}
}

// dot returns Σ a[i]·b[i] over len(a); len(b) must be at least len(a).
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// grow extends s by n elements, reallocating at most once.
func grow(s []float32, n int) []float32 {
	if cap(s)-len(s) < n {
		t := make([]float32, len(s), len(s)+max(n, len(s)/2))
		copy(t, s)
		s = t
	}
	return s[:len(s)+n]
}

// Resample returns b converted to rate: round(b.Frames()·rate/b.SampleRate)
// frames, aligned with the input (no delay). When the rates are equal it
// returns a copy.
func Resample(b *Buffer, rate int) (*Buffer, error) {
	return ResampleContext(context.Background(), b, rate)
}

// ResampleContext is Resample that stops, returning an *Error wrapping
// ctx.Err(), when ctx is done. It works in pieces of bounded output and
// checks ctx between them, so a cancellation is seen within milliseconds.
func ResampleContext(ctx context.Context, b *Buffer, rate int) (*Buffer, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{Err: err}
	}
	out := &Buffer{SampleRate: rate, Data: make([][]float32, len(b.Data))}
	if b.SampleRate == rate {
		for ch, d := range b.Data {
			out.Data[ch] = append([]float32(nil), d...)
		}
		return out, nil
	}
	if len(b.Data) == 0 {
		if err := checkRate("", int64(rate)); err != nil {
			return nil, err
		}
		return out, nil
	}
	r, err := NewResampler(b.SampleRate, rate, len(b.Data))
	if err != nil {
		return nil, err
	}
	n := b.Frames()
	want := int(outLen(int64(n), r.l, r.m))
	for ch := range out.Data {
		out.Data[ch] = make([]float32, 0, want)
	}
	piece := r.inputPiece(resamplerBlock)
	block := make([][]float32, len(b.Data))
	for i := 0; i < n; i += piece {
		if err := ctx.Err(); err != nil {
			return nil, &Error{Err: err}
		}
		j := min(i+piece, n)
		for ch, d := range b.Data {
			block[ch] = d[i:j]
		}
		if out.Data, err = r.Process(out.Data, block); err != nil {
			return nil, err
		}
	}
	out.Data = r.Flush(out.Data)
	return out, nil
}

// inputPiece returns how many input frames make about outFrames output
// frames (at least 1, at most outFrames): feeding Process pieces of this
// size bounds the memory and time of each call whatever the ratio.
func (r *Resampler) inputPiece(outFrames int) int {
	return int(max(1, min(int64(outFrames)*r.m/r.l, int64(outFrames))))
}

// ResampleReader returns a Reader that delivers r resampled to rate. If r is
// already at rate it returns r itself. Closing the returned Reader closes r.
//
// Each Read does a bounded amount of work and holds a bounded amount of
// output (about blockFrames frames per channel) whatever the ratio, so a
// caller that checks for cancellation between Reads stops promptly.
func ResampleReader(r Reader, rate int) (Reader, error) {
	info := r.Info()
	if info.SampleRate == rate {
		return r, nil
	}
	rs, err := NewResampler(info.SampleRate, rate, info.Channels)
	if err != nil {
		return nil, err
	}
	out := info
	out.SampleRate = rate
	if info.Frames >= 0 {
		out.Frames = outLen(info.Frames, rs.l, rs.m)
	}
	in := make([][]float32, info.Channels)
	for ch := range in {
		in[ch] = make([]float32, blockFrames)
	}
	return &resampleReader{src: r, rs: rs, info: out, in: in, piece: rs.inputPiece(blockFrames),
		feed: make([][]float32, info.Channels), pend: make([][]float32, info.Channels)}, nil
}

type resampleReader struct {
	src    Reader
	rs     *Resampler
	info   Info
	in     [][]float32 // input read from src
	inN    int         // frames in in
	inOff  int         // frames of in already fed to rs
	piece  int         // input frames fed to rs at a time
	feed   [][]float32 // the piece of in being fed
	pend   [][]float32 // output produced but not yet read
	off    int         // read position in pend
	srcEnd bool        // src returned io.EOF
	srcErr error       // src failed: reported once its last frames are out
	eof    bool        // src is exhausted and flushed
	err    error
}

func (r *resampleReader) Info() Info { return r.info }

func (r *resampleReader) Read(dst [][]float32) (int, error) {
	want, err := checkDst(dst, r.info.Channels, "")
	if err != nil {
		return 0, err
	}
	for r.off == len(r.pend[0]) {
		if r.err != nil {
			return 0, r.err
		}
		if r.eof {
			return 0, io.EOF
		}
		for ch := range r.pend {
			r.pend[ch] = r.pend[ch][:0]
		}
		r.off = 0
		switch {
		case r.inOff < r.inN:
			// One piece of input at a time: its output is about
			// blockFrames frames, even at a ratio of 1:768.
			j := min(r.inOff+r.piece, r.inN)
			for ch := range r.in {
				r.feed[ch] = r.in[ch][r.inOff:j]
			}
			r.pend, _ = r.rs.Process(r.pend, r.feed)
			r.inOff = j
		case r.srcErr != nil:
			r.err = r.srcErr
		case r.srcEnd:
			r.pend = r.rs.Flush(r.pend)
			r.eof = true
		default:
			n, err := r.src.Read(r.in)
			r.inN, r.inOff = n, 0
			switch {
			case err == io.EOF:
				r.srcEnd = true
			case err != nil:
				r.srcErr = err
			}
		}
	}
	n := min(want, len(r.pend[0])-r.off)
	for ch := range dst {
		copy(dst[ch][:n], r.pend[ch][r.off:r.off+n])
	}
	r.off += n
	return n, nil
}

func (r *resampleReader) Close() error { return r.src.Close() }

// kaiserBeta returns the Kaiser window β for a stopband attenuation of a dB.
func kaiserBeta(a float64) float64 {
	switch {
	case a > 50:
		return 0.1102 * (a - 8.7)
	case a >= 21:
		return 0.5842*math.Pow(a-21, 0.4) + 0.07886*(a-21)
	}
	return 0
}

// besselI0 is the modified Bessel function of the first kind, order 0.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 500; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
