package audio

// ITU-T G.711 decoding tables: the decoder output value of each 8-bit code,
// scaled to [-1, 1) (A-law values are 13-bit, up to ±4032/4096; µ-law
// values are 14-bit, up to ±8031/8192).
var aLaw, muLaw [256]float32

func init() {
	for c := range 256 {
		aLaw[c] = float32(aLawValue(byte(c))) / 4096
		muLaw[c] = float32(muLawValue(byte(c))) / 8192
	}
}

// aLawValue returns the G.711 A-law decoder output for code c, in 13-bit
// units. The even bits of a transmitted code are inverted; then bit 7 is
// the sign (1 positive), bits 6-4 the segment and bits 3-0 the step within
// it. Each segment from the second on doubles the step size of the one
// before; the output is the middle of the quantisation interval.
func aLawValue(c byte) int {
	c ^= 0x55
	seg := int(c>>4) & 7
	q := int(c & 15)
	v := 2*q + 1 // segment 0: steps of 2 from 1
	if seg > 0 {
		v = (2*q + 33) << (seg - 1)
	}
	if c&0x80 == 0 {
		return -v
	}
	return v
}

// muLawValue returns the G.711 µ-law decoder output for code c, in 14-bit
// units. All bits of a transmitted code are inverted; then bit 7 is the
// sign (1 negative), bits 6-4 the segment and bits 3-0 the step. The
// segments are offset by the bias 33 so that each doubles the one before.
func muLawValue(c byte) int {
	c = ^c
	seg := int(c>>4) & 7
	q := int(c & 15)
	v := (2*q+33)<<seg - 33
	if c&0x80 != 0 {
		return -v
	}
	return v
}
