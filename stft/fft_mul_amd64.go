package stft

// mul returns x·y for the power-of-two FFT's Go code, rounded to float64
// on its own. The conversion is not a no-op: it forbids the compiler to
// fuse the product with the sum or difference it feeds into one FMA, which
// it does from GOAMD64=v3 on. The assembly kernels never fuse, and so
// every amd64 build, whatever its GOAMD64 level, with or without them,
// computes the same bits.
func mul(x, y float64) float64 { return float64(x * y) }
