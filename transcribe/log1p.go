package transcribe

import "math"

// log1p returns log(1 + x) for x ≥ 0 (and NaN, +Inf as math.Log1p), for
// the detection function's band values, of which a 5-minute track has
// 6 × 52 k frames × 150 bands. It is faster than math.Log1p (no special
// cases for negative x, one division) and, computed in float64, within
// 1e-15 of it relative, so that rounded to float32 the two agree but for
// values within that of a rounding boundary (TestLog1p measures it).
func log1p(x float32) float32 {
	if !(x >= 1e-4) || x > math.MaxFloat32 {
		if x >= 0 && x < 1e-4 {
			// log(1+x) = x − x²/2 + x³/3 − x⁴/4 + …: the next term is
			// below 2e-17 relative.
			v := float64(x)
			return float32(v * (1 - v*(1.0/2-v*(1.0/3-v*(1.0/4)))))
		}
		return float32(math.Log1p(float64(x)))
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
	p := 2 * s * (1 + z*(1.0/3+z*(1.0/5+z*(1.0/7+z*(1.0/9+z*(1.0/11+z*(1.0/13+z*(1.0/15))))))))
	return float32(float64(e)*math.Ln2 + p)
}
