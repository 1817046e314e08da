package separator

import "testing"

// TestOpenRunsNoBatchOnCPU checks that Open on the CPU at fp32 runs no
// warm-up batch, which would delay the first chunk of every process by a
// batch of the network's work, and that Stats is the zero Stats before the
// first separation (as documented) whether a warm-up ran or not.
func TestOpenRunsNoBatchOnCPU(t *testing.T) {
	// bf16 on the CPU warms up (and falls back to fp32 where libtorch
	// lacks a bf16 kernel): the Stats must be zero all the same.
	for _, c := range []struct{ prec Precision }{{FP32}, {BF16}} {
		s := openT(t, "tiny6.pt", Options{Precision: c.prec})
		if st := s.Stats(); st != (Stats{}) {
			t.Errorf("%s: Stats after Open = %+v, want zero (batches run by Open: %d)", c.prec, st, st.Batches)
		}
		x := noise(3*s.ChunkSize()/2, 3)
		sepBuffer(t, s, x)
		if st := s.Stats(); st.Batches == 0 {
			t.Errorf("%s: Stats after a separation counts no batch", c.prec)
		}
	}
}
