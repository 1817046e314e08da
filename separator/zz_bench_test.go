package separator
import ("testing";"time")
func TestTimeSpec(t *testing.T) {
	idSep := openT(t, "identity.pt", Options{STFT: STFTModel})
	x := noise(5*44100, 1)
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		sepBuffer(t, reconfigure(t, idSep, ModeMSST, 4, 1), x)
		t.Logf("%s %s: %v", idSep.path, idSep.stft, time.Since(t0))
	}
}
