package stft

import "fmt"

// MDX converts between stereo audio and the spectrogram layout of MDX23C
// (TFC-TDF v3) models: per stereo signal a [4, dimF, T] float32 array
// holding the real and imaginary planes of the left and then the right
// channel, [L.re, L.im, R.re, R.im], with the bins ≥ dimF of the onesided
// STFT dropped. It is the reference STFT helper's
// stft → view_as_real → permute → reshape → [..., :dim_f] sequence and,
// backwards, its zero-fill → complex → istft sequence, without the copies.
//
// An MDX shares its Plan's workers and, like the Plan, is not safe for
// concurrent use.
type MDX struct {
	p    *Plan
	dimF int
}

// NewMDX returns the MDX23C layout over p keeping dimF ≤ p.Bins() bins.
func NewMDX(p *Plan, dimF int) (*MDX, error) {
	if dimF < 1 || dimF > p.Bins() {
		return nil, fmt.Errorf("stft: dim_f %d: need 1 ≤ dim_f ≤ %d (n_fft/2+1 for n_fft %d)", dimF, p.Bins(), p.NFFT())
	}
	return &MDX{p: p, dimF: dimF}, nil
}

// Plan returns the Plan the layout transforms through.
func (m *MDX) Plan() *Plan { return m.p }

// DimF returns the number of frequency bins kept.
func (m *MDX) DimF() int { return m.dimF }

// SpecLen returns the number of float32 values of one stereo spectrogram
// of a chunk of n samples per channel, 4·dimF·T, and T itself. T is 0 when
// n is too short for the reflect padding.
func (m *MDX) SpecLen(n int) (size, frames int) {
	t := m.p.Frames(n)
	return 4 * m.dimF * t, t
}

// Spec computes the [4, dimF, T] spectrogram of the stereo chunk
// (left, right) into dst (len 4·dimF·T, see SpecLen).
func (m *MDX) Spec(dst, left, right []float32) error {
	if len(left) != len(right) {
		return fmt.Errorf("stft: mdx spec: left has %d samples, right %d", len(left), len(right))
	}
	j, err := m.specJob(dst, len(left), 1)
	if err != nil {
		return err
	}
	j.pair = [2][]float32{left, right}
	return m.p.c.run(j)
}

// SpecBatch computes the spectrograms of batch stereo chunks: audio is
// [batch, 2, L] and dst [batch, 4, dimF, T], both flat and row-major.
func (m *MDX) SpecBatch(dst, audio []float32, batch int) error {
	if batch < 1 || len(audio)%(2*batch) != 0 {
		return fmt.Errorf("stft: mdx spec: %d samples do not form [%d, 2, L]", len(audio), batch)
	}
	j, err := m.specJob(dst, len(audio)/(2*batch), batch)
	if err != nil {
		return err
	}
	j.x = audio
	return m.p.c.run(j)
}

func (m *MDX) specJob(dst []float32, n, batch int) (job, error) {
	c := m.p.c
	size, t := m.SpecLen(n)
	if t == 0 {
		return job{}, fmt.Errorf("stft: mdx spec: %d samples with n_fft %d: %w", n, c.nfft, ErrTooShort)
	}
	if len(dst) != batch*size {
		return job{}, fmt.Errorf("stft: mdx spec: dst has %d values, want %d ([%d, 4, %d, %d])", len(dst), batch*size, batch, m.dimF, t)
	}
	return job{kind: forwardJob, nsig: 2 * batch, sigLen: n, frames: t, rows: m.dimF, fspec: dst}, nil
}

// Audio computes the stereo chunk (left, right) of the [4, dimF, T]
// spectrogram spec, reading the dropped bins as zeros. left and right must
// have InverseLen(T) samples each, the length the reference's istft gives.
func (m *MDX) Audio(left, right, spec []float32) error {
	if len(left) != len(right) {
		return fmt.Errorf("stft: mdx audio: left has %d samples, right %d", len(left), len(right))
	}
	j, err := m.audioJob(spec, len(left), 1)
	if err != nil {
		return err
	}
	j.pair = [2][]float32{left, right}
	return m.p.c.run(j)
}

// AudioBatch computes the stereo chunks of batch·stems spectrograms: spec
// is [batch, stems, 4, dimF, T] and dst [batch, stems, 2, InverseLen(T)],
// both flat and row-major (the model's forward_spec output and the
// separator's input).
func (m *MDX) AudioBatch(dst, spec []float32, batch, stems int) error {
	if batch < 1 || stems < 1 || len(dst)%(2*batch*stems) != 0 {
		return fmt.Errorf("stft: mdx audio: dst has %d samples, not [%d, %d, 2, L]", len(dst), batch, stems)
	}
	j, err := m.audioJob(spec, len(dst)/(2*batch*stems), batch*stems)
	if err != nil {
		return err
	}
	j.y = dst
	return m.p.c.run(j)
}

func (m *MDX) audioJob(spec []float32, n, chunks int) (job, error) {
	c := m.p.c
	per := 4 * m.dimF
	if len(spec) == 0 || len(spec)%(chunks*per) != 0 {
		return job{}, fmt.Errorf("stft: mdx audio: %d values do not form [%d, 4, %d, T]", len(spec), chunks, m.dimF)
	}
	t := len(spec) / (chunks * per)
	if want := c.inverseLen(t); n != want {
		return job{}, fmt.Errorf("stft: mdx audio: %d samples per channel, want %d for %d frames", n, want, t)
	}
	if err := c.checkNOLA(t, n); err != nil {
		return job{}, fmt.Errorf("stft: mdx audio: %w", err)
	}
	return job{kind: inverseJob, nsig: 2 * chunks, sigLen: n, frames: t, rows: m.dimF, fspec: spec}, nil
}
