package stft

import (
	"errors"
	"fmt"
	"runtime"
)

// ErrTooShort is returned (wrapped) by the forward transforms when a signal
// has no more than n_fft/2 samples: the reflect padding of center=True
// mirrors n_fft/2 samples about each end, which needs n_fft/2+1 of them.
// torch.stft raises an error for the same inputs.
var ErrTooShort = errors.New("signal too short for reflect padding")

// ErrNOLA is returned (wrapped) by the inverse transforms when the sum of
// squared windows is below 1e-11 somewhere in the requested output (the
// "nonzero overlap-add" condition fails, e.g. hop = n_fft with a Hann
// window), the case in which torch.istft raises "window overlap add min".
var ErrNOLA = errors.New("window overlap-add is zero: hop too large for the window")

// ErrClosed is returned by every transform of a Plan after Close.
var ErrClosed = errors.New("stft: plan is closed")

// nolaMin is torch.istft's threshold on the window envelope.
const nolaMin = 1e-11

// Option configures NewPlan.
type Option func(*config)

type config struct {
	workers int
}

// Workers sets how many goroutines (the caller's included) a transform may
// use. n ≤ 0 means runtime.GOMAXPROCS(0), the default.
func Workers(n int) Option {
	return func(c *config) { c.workers = n }
}

// Plan holds the window, the FFTs, the scratch memory and the worker
// goroutines for one (n_fft, hop) pair, so that transforms through it
// allocate nothing. A Plan is not safe for concurrent use: the transforms
// of one Plan run one at a time (each of them runs in parallel inside).
// Close stops the worker goroutines; a Plan that becomes unreachable stops
// them as well.
type Plan struct {
	c *core
}

// NewPlan returns a Plan for torch.stft/istft with the given n_fft and hop
// length and torch's defaults otherwise: win_length = n_fft, a periodic
// Hann window, center=True with reflect padding, onesided, unnormalised.
// It needs n_fft ≥ 2 and 1 ≤ hop ≤ n_fft.
func NewPlan(nfft, hop int, opts ...Option) (*Plan, error) {
	if nfft < 2 {
		return nil, fmt.Errorf("stft: n_fft %d: need at least 2", nfft)
	}
	if hop < 1 || hop > nfft {
		return nil, fmt.Errorf("stft: hop %d: need 1 ≤ hop ≤ n_fft (%d)", hop, nfft)
	}
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.workers <= 0 {
		cfg.workers = runtime.GOMAXPROCS(0)
	}
	c := newCore(nfft, hop, cfg.workers)
	p := &Plan{c: c}
	runtime.AddCleanup(p, func(c *core) { c.stop() }, c)
	return p, nil
}

// Close stops the Plan's worker goroutines. Transforms called afterwards
// return ErrClosed. Close is idempotent.
func (p *Plan) Close() { p.c.stop() }

// NFFT returns the transform length n_fft.
func (p *Plan) NFFT() int { return p.c.nfft }

// Hop returns the hop length.
func (p *Plan) Hop() int { return p.c.hop }

// Bins returns the number of frequency bins of the onesided spectrum, n_fft/2+1.
func (p *Plan) Bins() int { return p.c.bins }

// Workers returns the number of goroutines a transform may use.
func (p *Plan) Workers() int { return len(p.c.scratch) }

// Frames returns the number of frames T that Forward produces for a signal
// of n samples: 1 + (n + 2·⌊n_fft/2⌋ − n_fft)/hop, or 0 when n is too short
// for the reflect padding (n ≤ n_fft/2).
func (p *Plan) Frames(n int) int { return p.c.frames(n) }

// InverseLen returns the length torch.istft gives T frames when no length is
// passed: hop·(T−1), plus one sample for odd n_fft (center=True trims
// ⌊n_fft/2⌋ samples at each end of the (T−1)·hop + n_fft overlap-added ones).
func (p *Plan) InverseLen(frames int) int { return p.c.inverseLen(frames) }

// Forward computes the STFT of x into dst, which must hold Bins()·T values
// for T = Frames(len(x)), in torch's layout: dst[k·T + t] is bin k of frame t.
func (p *Plan) Forward(dst []complex64, x []float32) error {
	return p.ForwardBatch(dst, x, 1)
}

// ForwardBatch computes the STFTs of n signals of equal length stored one
// after the other in x. dst holds the n spectra one after the other, each
// laid out as in Forward.
func (p *Plan) ForwardBatch(dst []complex64, x []float32, n int) error {
	c := p.c
	if n < 1 || len(x)%n != 0 {
		return fmt.Errorf("stft: forward: %d samples do not split into %d signals", len(x), n)
	}
	l := len(x) / n
	t := c.frames(l)
	if t == 0 {
		return fmt.Errorf("stft: forward: %d samples with n_fft %d: %w", l, c.nfft, ErrTooShort)
	}
	if want := n * c.bins * t; len(dst) != want {
		return fmt.Errorf("stft: forward: dst has %d values, want %d (%d signals × %d bins × %d frames)", len(dst), want, n, c.bins, t)
	}
	return c.run(job{kind: forwardJob, nsig: n, sigLen: l, frames: t, rows: c.bins, x: x, cspec: dst})
}

// Inverse computes the inverse STFT of spec, which holds Bins()·T values
// laid out as Forward writes them, into dst. len(dst) plays the part of
// torch.istft's length argument: InverseLen(T) gives torch's default, a
// shorter dst receives the beginning of the signal and a longer one ends
// in zeros past the last frame, as torch pads them. The imaginary parts of
// the DC and (even n_fft) Nyquist bins are ignored, as by torch's irfft.
func (p *Plan) Inverse(dst []float32, spec []complex64) error {
	return p.InverseBatch(dst, spec, 1)
}

// InverseBatch computes the inverse STFTs of n spectra stored one after the
// other in spec into n signals stored one after the other in dst, each
// len(dst)/n samples long (see Inverse).
func (p *Plan) InverseBatch(dst []float32, spec []complex64, n int) error {
	c := p.c
	if n < 1 || len(spec)%(n*c.bins) != 0 || len(spec) == 0 {
		return fmt.Errorf("stft: inverse: %d values do not split into %d spectra of %d bins", len(spec), n, c.bins)
	}
	if len(dst)%n != 0 {
		return fmt.Errorf("stft: inverse: dst has %d samples, not a multiple of %d signals", len(dst), n)
	}
	t := len(spec) / (n * c.bins)
	l := len(dst) / n
	if err := c.checkNOLA(t, l); err != nil {
		return fmt.Errorf("stft: inverse: %w", err)
	}
	return c.run(job{kind: inverseJob, nsig: n, sigLen: l, frames: t, rows: c.bins, y: dst, cspec: spec})
}
