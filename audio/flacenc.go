package audio

import (
	"bufio"
	"crypto/md5"
	"encoding/binary"
	"hash"

	"github.com/mewkiz/flac"
	"github.com/mewkiz/flac/frame"
	"github.com/mewkiz/flac/meta"
)

// flacBlockSize is the number of frames per FLAC frame (libFLAC's default).
const flacBlockSize = 4096

// flacEncoder writes FLAC with mewkiz/flac: fixed predictors chosen per
// subframe by the library, and a per-frame choice of stereo decorrelation.
type flacEncoder struct {
	enc     *flac.Encoder
	out     *countingWriter
	info    *meta.StreamInfo
	md5     hash.Hash // of the samples, as StreamInfo defines it
	pending [][]int32 // samples not yet written as a full block
	an      flacAnalyzer
}

// countingWriter buffers writes to the temporary file and counts them, to
// know each frame's size. It is deliberately neither an io.Seeker nor an
// io.Closer: mewkiz/flac would then rewrite StreamInfo itself at Close with a
// minimum block size taken from the (shorter) last frame, which decoders,
// mewkiz/flac's own included, reject. finish writes StreamInfo instead.
type countingWriter struct {
	bw *bufio.Writer
	n  int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.bw.Write(p)
	c.n += int64(n)
	return n, err
}

func newFLACEncoder(w *Writer) (*flacEncoder, error) {
	info := &meta.StreamInfo{
		BlockSizeMin:  flacBlockSize,
		BlockSizeMax:  flacBlockSize,
		SampleRate:    uint32(w.rate),
		NChannels:     uint8(w.channels),
		BitsPerSample: uint8(w.enc.BitDepth),
	}
	out := &countingWriter{bw: w.bw}
	enc, err := flac.NewEncoder(out, info)
	if err != nil {
		return nil, err
	}
	// Subframes arrive already analysed (flacanalysis.go).
	enc.EnablePredictionAnalysis(false)
	return &flacEncoder{enc: enc, out: out, info: info, md5: md5.New(), pending: make([][]int32, w.channels)}, nil
}

func (e *flacEncoder) write(w *Writer, src [][]float32) error {
	for ch, s := range src {
		p := e.pending[ch]
		for _, v := range s {
			q, c := quantize(v, w.enc.BitDepth)
			if c {
				w.clipped++
			}
			p = append(p, q)
		}
		e.pending[ch] = p
	}
	for len(e.pending[0]) >= flacBlockSize {
		if err := e.writeFrame(w, flacBlockSize); err != nil {
			return err
		}
	}
	return nil
}

// writeFrame encodes the first n pending frames as one FLAC frame.
func (e *flacEncoder) writeFrame(w *Writer, n int) error {
	fr := &frame.Frame{Header: frame.Header{
		HasFixedBlockSize: true,
		BlockSize:         uint16(n),
		SampleRate:        flacFrameRate(w.rate),
		Channels:          frame.Channels(w.channels - 1), // independent channels
		BitsPerSample:     uint8(w.enc.BitDepth),
	}}
	for ch := range e.pending {
		fr.Subframes = append(fr.Subframes, &frame.Subframe{
			SubHeader: frame.SubHeader{Pred: frame.PredVerbatim},
			Samples:   append([]int32(nil), e.pending[ch][:n]...),
			NSamples:  n,
		})
	}
	bps := w.enc.BitDepth
	if w.channels == 2 {
		e.chooseStereo(fr, bps)
	} else {
		for _, sf := range fr.Subframes {
			c := e.an.choose(sf.Samples, bps)
			c.apply(sf)
		}
	}
	fr.Hash(e.md5)
	start := e.out.n
	if err := e.enc.WriteFrame(fr); err != nil {
		return err
	}
	size := uint32(e.out.n - start)
	if e.info.FrameSizeMin == 0 || size < e.info.FrameSizeMin {
		e.info.FrameSizeMin = size
	}
	e.info.FrameSizeMax = max(e.info.FrameSizeMax, size)
	e.info.NSamples += uint64(n)
	for ch, p := range e.pending {
		e.pending[ch] = p[:copy(p, p[n:])]
	}
	return nil
}

// flacFrameRate returns rate if a FLAC frame header can state it, else 0
// ("see StreamInfo").
func flacFrameRate(rate int) uint32 {
	if (rate <= 255000 && rate%1000 == 0) || rate <= 65535 || (rate <= 655350 && rate%10 == 0) {
		return uint32(rate)
	}
	return 0
}

// chooseStereo picks the channel decorrelation (left/right, left/side,
// side/right or mid/side) whose two subframes code smallest, as libFLAC
// does, and sets up both subframes. The samples stay left and right:
// mewkiz/flac decorrelates them itself according to fr.Channels.
func (e *flacEncoder) chooseStereo(fr *frame.Frame, bps int) {
	l, r := fr.Subframes[0].Samples, fr.Subframes[1].Samples
	n := len(l)
	mid, side := make([]int32, n), make([]int32, n)
	for i := range l {
		mid[i] = int32((int64(l[i]) + int64(r[i])) >> 1)
		side[i] = l[i] - r[i]
	}
	cl := e.an.choose(l, bps)
	cr := e.an.choose(r, bps)
	cm := e.an.choose(mid, bps)
	cs := e.an.choose(side, bps+1)
	mode, a, b := frame.ChannelsLR, cl, cr
	if cl.bits+cs.bits < a.bits+b.bits {
		mode, a, b = frame.ChannelsLeftSide, cl, cs
	}
	if cs.bits+cr.bits < a.bits+b.bits {
		mode, a, b = frame.ChannelsSideRight, cs, cr
	}
	if cm.bits+cs.bits < a.bits+b.bits {
		mode, a, b = frame.ChannelsMidSide, cm, cs
	}
	fr.Channels = mode
	a.apply(fr.Subframes[0])
	b.apply(fr.Subframes[1])
}

func (e *flacEncoder) finish(w *Writer) error {
	if n := len(e.pending[0]); n > 0 {
		if err := e.writeFrame(w, n); err != nil {
			return err
		}
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	copy(e.info.MD5sum[:], e.md5.Sum(nil))
	// StreamInfo's body follows "fLaC" and its 4-byte block header.
	_, err := w.tmp.WriteAt(streamInfoBody(e.info), 8)
	return err
}

// streamInfoBody encodes the 34-byte body of a STREAMINFO block.
func streamInfoBody(si *meta.StreamInfo) []byte {
	b := make([]byte, 0, 34)
	b = binary.BigEndian.AppendUint16(b, si.BlockSizeMin)
	b = binary.BigEndian.AppendUint16(b, si.BlockSizeMax)
	b = append(b, byte(si.FrameSizeMin>>16), byte(si.FrameSizeMin>>8), byte(si.FrameSizeMin))
	b = append(b, byte(si.FrameSizeMax>>16), byte(si.FrameSizeMax>>8), byte(si.FrameSizeMax))
	// 20 bits rate, 3 bits channels-1, 5 bits bps-1, 36 bits total samples.
	v := uint64(si.SampleRate)<<44 | uint64(si.NChannels-1)<<41 | uint64(si.BitsPerSample-1)<<36 | si.NSamples&(1<<36-1)
	b = binary.BigEndian.AppendUint64(b, v)
	return append(b, si.MD5sum[:]...)
}
