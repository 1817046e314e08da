package stft

import "fmt"

// FrameFFT computes the spectrum of one frame at a time: the periodic Hann
// window times the frame, then its real DFT, with the same kernel as Plan,
// so that a frame's bins are bit for bit those Plan.Forward gives for it.
// It is for callers that frame the signal themselves and want the frames
// in their own order, or only the low bins, without Plan's bin-major
// output. A FrameFFT must not be used by two goroutines at once.
type FrameFFT struct {
	nfft int
	fft  realFFT
}

// NewFrameFFT returns a FrameFFT for frames of nfft samples (nfft ≥ 2).
func NewFrameFFT(nfft int) (*FrameFFT, error) {
	if nfft < 2 {
		return nil, fmt.Errorf("stft: n_fft %d: need at least 2", nfft)
	}
	w := HannPeriodic(make([]float64, nfft))
	// The synthesis window is unused: FrameFFT only transforms forwards.
	return &FrameFFT{nfft: nfft, fft: newRealFFT(w, make([]float64, nfft))}, nil
}

// NFFT returns the frame length.
func (f *FrameFFT) NFFT() int { return f.nfft }

// Forward stores bins 0…len(dst)−1 of the windowed frame's DFT in dst.
// len(frame) must be NFFT and len(dst) at most NFFT/2+1; other lengths
// are a programming error and panic, as in gonum.
func (f *FrameFFT) Forward(dst []complex64, frame []float32) {
	if len(frame) != f.nfft || len(dst) > f.nfft/2+1 {
		panic(fmt.Sprintf("stft: frame of %d samples into %d bins, n_fft %d", len(frame), len(dst), f.nfft))
	}
	if len(dst) > 0 {
		f.fft.forward(dst, 1, len(dst), frame)
	}
}
