// Package stft computes short-time Fourier transforms equal to torch.stft and torch.istft.
package stft
