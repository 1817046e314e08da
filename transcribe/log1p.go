package transcribe

import "math"

// log1p returns log(1 + x) for x ≥ 0 (and NaN, +Inf as math.Log1p), for
// the detection function's band values, of which a 5-minute track has
// 6 × 52 k frames × 150 bands. It is faster than math.Log1p (no special
// cases for negative x, one division) and, computed in float64, within
// 1e-15 of it relative, so that rounded to float32 the two agree but for
// values within that of a rounding boundary (TestLog1p measures it).
func log1p(x float32) float32 { return float32(log1p64(x)) }

// log1p64 is log1p before its rounding to float32 (tests look for the
// values closest to a rounding boundary with it).
func log1p64(x float32) float64 {
	if !(x >= 1e-4) || x > math.MaxFloat32 {
		if x >= 0 && x < 1e-4 {
			// log(1+x) = x − x²/2 + x³/3 − x⁴/4 + …: the next term is
			// below 2e-17 relative.
			v := float64(x)
			return v * (1 - float64(v*(1.0/2-float64(v*(1.0/3-float64(v*(1.0/4)))))))
		}
		return math.Log1p(float64(x))
	}
	// x has 24 significant bits and is at least 2⁻¹⁴, so 1 + x is exact
	// in float64.
	u := 1 + float64(x)
	b := math.Float64bits(u)
	e := int(b>>52) - 1023
	// m in [√½, √2): log u = e·ln 2 + log m.
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52)
	if m > math.Sqrt2 {
		m /= 2
		e++
	}
	// log m = 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.172: the series to s¹⁵
	// leaves an error below 2·s¹⁷/17 < 1e-14 of s, under 1e-15 relative.
	s := (m - 1) / (m + 1)
	z := s * s
	// Horner's rule; every product is rounded explicitly (float64(…)) so
	// that no compiler fuses it with the addition: the assembly of
	// log1pRows computes the same operations and must give the same bits.
	q := 1.0/13 + float64(z*(1.0/15))
	q = 1.0/11 + float64(z*q)
	q = 1.0/9 + float64(z*q)
	q = 1.0/7 + float64(z*q)
	q = 1.0/5 + float64(z*q)
	q = 1.0/3 + float64(z*q)
	q = 1 + float64(z*q)
	p := 2 * s * q
	return float64(float64(e)*math.Ln2) + p
}
