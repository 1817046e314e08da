// Package stft computes short-time Fourier transforms equal to PyTorch's
// torch.stft and torch.istft, and converts between stereo audio and the
// spectrogram layout of MDX23C (TFC-TDF v3) models.
//
// drumsplit needs it for Apple's MPS backend, whose support for the FFTs
// torch.stft/istft use varies between torch releases: there the separator
// runs the model's forward_spec method, which takes spectrograms, on the
// accelerator and computes the spectrogram and its inverse in Go around it
// (separator.STFTGo, which can be chosen on any device). The separator is
// its only user.
//
// # Semantics
//
// A Plan fixes n_fft and the hop length and follows torch's defaults for
// everything else: win_length = n_fft, the periodic Hann window
// (HannPeriodic), center=True with reflect padding of ⌊n_fft/2⌋ samples at
// each end (mirrored about the edge sample, which is not repeated:
// [3 2 1 | 0 1 2 3 4 5 | 4 3 2]), onesided spectra of n_fft/2+1 bins,
// normalized=False. A signal of L samples gives T = 1 + (L + 2⌊n_fft/2⌋ −
// n_fft)/hop frames, stored bin-major as torch returns them. Odd n_fft
// works.
//
// The inverse is torch.istft with center=True: an inverse real FFT of each
// frame (the imaginary parts of the DC and even-n_fft Nyquist bins are
// ignored, as by irfft), the window, overlap-add, division by the
// overlap-added squared window, and the ⌊n_fft/2⌋ padding trimmed. Its
// length is that of the destination: Plan.InverseLen gives torch's default,
// hop·(T−1) (plus one for odd n_fft); longer outputs end in zeros past the
// last frame, as torch pads them.
//
// Where torch raises, the package returns an error and never panics: a
// signal of n_fft/2 samples or fewer cannot be reflect-padded (ErrTooShort),
// and an inverse whose squared-window sum falls under torch's 1e-11
// somewhere in the output fails the NOLA condition (ErrNOLA; with the
// periodic Hann window that happens for hop = n_fft, and at the very end of
// a long requested length with large n_fft, where the window's last
// samples are ~1e-6). Shape mismatches are errors too.
//
// # Precision
//
// Inputs and outputs are float32, like the models'; everything in between
// (window, FFT, overlap-add, envelope) is float64. The results agree with
// torch's float32 computation to about 1e-7 relative (the tests require
// 1e-6 in L2 and 1e-5 of the peak at any sample, against fixtures made by
// torch 1.13).
//
// # Speed and memory
//
// A Plan owns all scratch memory and a set of worker goroutines (Workers;
// GOMAXPROCS by default), so transforms allocate nothing. A batch is split
// across the workers by signal and, when there are more workers than
// signals, by ranges of frames (forward) or of output samples (inverse,
// recomputing the few frames that straddle a cut); results do not depend
// on the split. Spectrogram columns move through a small per-worker block
// of frames so that the bin-major layout is written a cache line at a
// time instead of one value per line.
//
// # FFT
//
// The FFT is gonum's gonum.org/v1/gonum/dsp/fourier: maintained, a real
// (half-spectrum) transform for any length, no allocations per call once
// set up. It replaced github.com/mjibson/go-dsp, unmaintained since 2018,
// which allocates on every call (32 allocations, 117 kB per 2048-point real
// transform) and measured two to three times slower than gonum here.
//
// For power-of-two n_fft, which is what the models use, the package has
// its own kernel (pow2FFT): a real FFT through a half-length complex
// radix-4 FFT with precomputed float64 twiddles, the input scattered to
// bit-reversed order while it is windowed, and the window multiply, the
// first butterfly pass and the layout conversion fused around it. On the
// development machine (a 2-core Xeon VM) gonum's FFTPACK port took 27 µs
// per 2048-point real transform and this kernel 6.5 µs, window included,
// while torch.stft spends about 5 µs per frame all told; the MDX23C batch
// of BenchmarkMDXBatch took 3.3× as long through gonum as through the
// kernel, about three times torch's time. gonum stays the engine for every
// other length (odd n_fft among them) and is the reference the kernel is
// tested against (to 1e-13).
//
// On amd64 CPUs with AVX2 (golang.org/x/sys/cpu decides at start-up) the
// kernel runs in assembly (fft_amd64.s): the windowing with the
// bit-reversed gather and the first pass, the radix-4 passes (whose
// twiddles are stored per pass as W^k, W^2k and W^3k runs for that) and
// the split into the n-point spectrum, and their counterparts in the
// inverse, each on two complex128 values per YMM register. It performs the
// Go code's IEEE operations on the same operands in the same order and no
// FMA, so its results are bit for bit those of the Go code (the tests
// compare both for every n up to 65536), which stays as the definition
// and as the fallback for other architectures and -tags purego; the Go
// code keeps the compiler from fusing its products on amd64 for the same
// reason. On a 2-core AMD EPYC (Zen 3) VM shared with other jobs, in
// interleaved runs (medians of CPU time), a 2048-point transform took
// 4.8 µs forwards and 5.0 µs backwards against 15.2 and 15.8 µs for the
// Go code (callgrind: 36.6 and 39.5 thousand instructions against 152 and
// 160 thousand); BenchmarkMDXBatch's stft+istft on one worker went from
// 118 to 65 ms, and drumsplit transcribe's BenchmarkTranscribe5Min, whose
// frame transforms were about half its CPU time, from 7.8 to 5.2 CPU
// seconds.
package stft
