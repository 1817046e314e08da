package render

import "math"

// Some kit samples hold more than one attack: a second strike (rumpf_kit's
// ride bell: two strikes 40 ms apart; The Black Pearl's Flink cymbals: a
// second attack 138–172 ms in), a closing chick at the end of a hi-hat
// swish, or a click followed by the real energy peak 70 ms later (rumpf_kit's
// pedal hat). The annotation has one onset per stroke, so a detector that
// finds the second attack is scored wrong for being right. The audit finds
// them on an envelope of the sample's high frequencies: the energy of its
// second difference (a high-pass, +12 dB per octave, so that a low drum's
// cycles and beating partials make no ripple) in 2 ms blocks, in dB:
//
//   - the attack's peak is the envelope's largest block in the first
//     auditPeakSearch after the attack;
//   - a second attack is a block auditMinDelay or more after the attack
//     (closer, it is part of the first for any detector with a 30 ms
//     minimum gap) whose energy, and that of the block after it, is
//     auditRiseDB or more above the lowest block of the auditWindow before
//     it (since the peak): a fast rise, as a stick makes, not the slow
//     swell of a ringing cymbal;
//   - and no more than auditRangeDB under the sample's loudest block (a
//     rise deep in the tail is masked by the next strokes).
//
// Two blocks must rise so that one noisy block in a cymbal's wash does not
// count. A second strike on a cymbal that still rings loud rises less than
// auditRiseDB and is missed; a lower threshold flags the ripple of many
// clean samples. On Debian's 14 kits it flags 99 of 726 samples, among
// them every layer of the cases above, hand claps (several hands), snare
// rolls and cowbells.
const (
	auditBlock      = SampleRate * 2 / 1000  // 2 ms
	auditPeakSearch = SampleRate * 20 / 1000 // 20 ms
	auditMinDelay   = SampleRate * 25 / 1000 // 25 ms
	auditWindow     = SampleRate * 10 / 1000 // 10 ms
	auditRiseDB     = 8.0
	auditRangeDB    = 20.0
)

// secondAttack returns the first second attack of a sample whose attack
// is at frame attack (see the audit rules above), in frames after the
// attack, or 0 if it has none.
func secondAttack(data [][]float32, attack int) int {
	n := len(data[0])
	var env []float64 // energy of the second difference per block from the attack, dB
	for a := max(2, attack); a+auditBlock <= n; a += auditBlock {
		var s float64
		for _, ch := range data {
			for i := a; i < a+auditBlock; i++ {
				d := float64(ch[i]) - 2*float64(ch[i-1]) + float64(ch[i-2])
				s += d * d
			}
		}
		env = append(env, 10*math.Log10(s/auditBlock+1e-30))
	}
	if len(env) == 0 {
		return 0
	}
	top := math.Inf(-1)
	for _, e := range env {
		top = math.Max(top, e)
	}
	// The attack's peak: the largest block in its first auditPeakSearch.
	peak := 0
	for k := range min(len(env), auditPeakSearch/auditBlock) {
		if env[k] > env[peak] {
			peak = k
		}
	}
	w := auditWindow / auditBlock
	for k := max(peak+1, auditMinDelay/auditBlock); k+1 < len(env); k++ {
		if env[k] < top-auditRangeDB {
			continue
		}
		floor := math.Inf(1)
		for _, e := range env[max(peak, k-w):k] {
			floor = math.Min(floor, e)
		}
		if env[k]-floor >= auditRiseDB && env[k+1]-floor >= auditRiseDB {
			return k * auditBlock
		}
	}
	return 0
}
