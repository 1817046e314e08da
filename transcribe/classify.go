package transcribe

// labelHats, labelToms and labelRide are filled in by the articulation
// classifiers.
func labelHats(ns []Note, x []float32, rate int) {}
func labelToms(ns []Note, x []float32, rate int) {
	for i := range ns {
		ns[i].Tom, ns[i].Toms = 0, 1
	}
}
func labelRide(ns []Note, x []float32, rate int) {}
