package audio

// Stereo adapts r to exactly two channels: a mono stream is duplicated into
// both, a stream with more than two keeps the first two (front left and
// right in every common layout). A stereo Reader is returned as is. Closing
// the result closes r. The package does not log: a caller that wants to warn
// about dropped channels compares r.Info().Channels with 2 itself, where it
// knows which file it is reading.
func Stereo(r Reader) Reader {
	info := r.Info()
	if info.Channels == 2 || info.Channels < 1 {
		return r
	}
	s := &stereoReader{src: r, info: info, in: make([][]float32, info.Channels)}
	s.info.Channels = 2
	return s
}

type stereoReader struct {
	src  Reader
	info Info
	in   [][]float32
}

func (s *stereoReader) Info() Info { return s.info }

func (s *stereoReader) Read(dst [][]float32) (int, error) {
	want, err := checkDst(dst, 2, "")
	if err != nil {
		return 0, err
	}
	if len(s.in) == 1 {
		n, err := s.src.Read([][]float32{dst[0][:want]})
		copy(dst[1][:n], dst[0][:n])
		return n, err
	}
	// Decode into dst for the first two channels and scratch for the rest.
	s.in[0], s.in[1] = dst[0][:want], dst[1][:want]
	for ch := 2; ch < len(s.in); ch++ {
		if cap(s.in[ch]) < want {
			s.in[ch] = make([]float32, want)
		}
		s.in[ch] = s.in[ch][:want]
	}
	n, err := s.src.Read(s.in)
	s.in[0], s.in[1] = nil, nil
	return n, err
}

func (s *stereoReader) sizeHint() int64 {
	if h, ok := s.src.(sizeHinter); ok {
		return h.sizeHint()
	}
	return min(s.info.Frames, 1<<20)
}

func (s *stereoReader) Close() error { return s.src.Close() }
