package separator

import "time"

// Stats says where the time of one separation went. Benchmarks use it to
// tell the device's share from the host's: Compute is the time the device
// goroutine spent inside the model's calls (on a GPU that includes the
// copies to and from the device, which each call waits for), and Wall minus
// Compute is the time the device sat idle waiting for the host.
type Stats struct {
	Wall     time.Duration // the whole separation
	Compute  time.Duration // inside model calls
	Prepare  time.Duration // host work before the model (the Go STFT)
	Finish   time.Duration // host work after the model (the Go iSTFT)
	Batches  int64         // model calls
	Chunks   int64         // chunks holding track data
	Computed int64         // chunks run, counting the zero chunks that pad a batch
}

// DeviceBusy returns Compute / Wall, the share of the separation the device
// was working, or 0 for an empty separation.
func (s Stats) DeviceBusy() float64 {
	if s.Wall <= 0 {
		return 0
	}
	return float64(s.Compute) / float64(s.Wall)
}

// Stats returns the statistics of the last completed (or failed) call of
// Separate or SeparateBuffer; the zero Stats before the first.
func (s *Separator) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pipe == nil {
		return Stats{}
	}
	return s.pipe.stats
}
