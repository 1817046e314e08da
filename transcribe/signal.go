package transcribe

// signal is a stem's mono mix, the average of its channels. A stem of one
// channel is that channel; a stereo stem is mixed where it is read, a
// window at a time (into the reader's buffer): its whole mix, 53 MB for 5
// minutes, would be written once, page fault by page fault, to be read
// mostly once.
type signal struct {
	ch [][]float32 // channels of equal length
}

// newSignal returns the mono mix of the channels (at least one).
func newSignal(ch [][]float32) signal { return signal{ch: ch} }

// len returns the number of samples.
func (s signal) len() int { return len(s.ch[0]) }

// window returns samples a…b−1 of the mix (0 ≤ a ≤ b ≤ len): the channel
// itself for a mono stem, else the mix stored in *buf (grown as needed),
// valid until buf is used again.
func (s signal) window(a, b int, buf *[]float32) []float32 {
	if len(s.ch) == 1 {
		return s.ch[0][a:b]
	}
	if cap(*buf) < b-a {
		*buf = make([]float32, b-a)
	}
	w := (*buf)[:b-a]
	mixInto(w, s.ch, a)
	return w
}

// at returns sample i of the mix.
func (s signal) at(i int) float32 {
	var v [1]float32
	mixInto(v[:], s.ch, i)
	return v[0]
}

// mixInto stores samples a…a+len(dst)−1 of the average of the channels
// in dst. Every sample is computed as mono computes it (channel by channel
// from 0, each product rounded, so that no compiler fuses the sums).
func mixInto(dst []float32, data [][]float32, a int) {
	if len(data) == 1 {
		copy(dst, data[0][a:])
		return
	}
	g := 1 / float32(len(data))
	if len(data) == 2 {
		// One pass; the same sums as channel by channel (0 + l·g = l·g).
		mix2(dst, data[0][a:a+len(dst)], data[1][a:a+len(dst)], g)
		return
	}
	clear(dst)
	for _, ch := range data {
		for i, v := range ch[a : a+len(dst)] {
			dst[i] += float32(v * g)
		}
	}
}

// mono averages the channels.
func mono(data [][]float32) []float32 {
	if len(data) == 1 {
		return data[0]
	}
	out := make([]float32, len(data[0]))
	mixInto(out, data, 0)
	return out
}

// padSignal returns s, or for a signal no longer than a frame (which
// cannot be reflect-padded) its mix padded with silence as padFrame pads.
func padSignal(s signal, nfft int) signal {
	if s.len() <= nfft {
		return newSignal([][]float32{padFrame(mono(s.ch), nfft)})
	}
	return s
}
