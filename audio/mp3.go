package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/hajimehoshi/go-mp3"
)

// mp3Reader decodes MPEG-1/2 Layer III with hajimehoshi/go-mp3, which always
// produces 16-bit stereo (mono files are duplicated by the decoder).
type mp3Reader struct {
	dec    *mp3.Decoder
	closer io.Closer
	name   string
	info   Info
	buf    []byte
	skip   int64 // frames still to drop at the start (gapless playback)
	left   int64 // frames left to deliver
	err    error
}

// MPEG audio Layer III frame header tables.
var (
	mp3Bitrates = [2][16]int{ // kbit/s; [0] MPEG-1, [1] MPEG-2/2.5
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
	}
	mp3Rates = [4][3]int{ // by version bits: 2.5, reserved, 2, 1
		{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000},
	}
)

// mp3Header is a parsed Layer III frame header.
type mp3Header struct {
	version int // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
	rate    int
	length  int // frame length in bytes
}

// parseMP3Header parses 4 bytes as a Layer III frame header.
func parseMP3Header(b []byte) (mp3Header, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return mp3Header{}, false
	}
	version := int(b[1]>>3) & 3
	layer := int(b[1]>>1) & 3
	bri := int(b[2] >> 4)
	sri := int(b[2]>>2) & 3
	pad := int(b[2]>>1) & 1
	if version == 1 || layer != 1 || bri == 0 || bri == 15 || sri == 3 || b[3]&3 == 2 {
		return mp3Header{}, false
	}
	h := mp3Header{version: version, rate: mp3Rates[version][sri]}
	if version == 3 {
		h.length = 144*mp3Bitrates[0][bri]*1000/h.rate + pad
	} else {
		h.length = 72*mp3Bitrates[1][bri]*1000/h.rate + pad
	}
	return h, true
}

// mp3SniffLen is how far into the data sniffMP3 looks for the first frame.
const mp3SniffLen = 16 << 10

// sniffMP3 looks for the first Layer III frame at or after off and returns
// its offset. A frame counts only if another frame header of the same kind
// follows it exactly (or the file ends there), which rules out stray sync
// patterns in other data.
func sniffMP3(rs io.ReadSeeker, off, size int64) (int64, bool) {
	n := min(size-off, mp3SniffLen+4)
	if n < 4 {
		return 0, false
	}
	if _, err := rs.Seek(off, io.SeekStart); err != nil {
		return 0, false
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rs, b); err != nil {
		return 0, false
	}
	var next [4]byte
	for i := 0; i+4 <= len(b) && i <= mp3SniffLen; i++ {
		h, ok := parseMP3Header(b[i:])
		if !ok {
			continue
		}
		end := off + int64(i) + int64(h.length)
		if end == size {
			return off + int64(i), true
		}
		if end+4 > size {
			continue
		}
		if _, err := rs.Seek(end, io.SeekStart); err != nil {
			return 0, false
		}
		if _, err := io.ReadFull(rs, next[:]); err != nil {
			return 0, false
		}
		if h2, ok := parseMP3Header(next[:]); ok && h2.version == h.version && h2.rate == h.rate {
			return off + int64(i), true
		}
	}
	return 0, false
}

// id3v2End returns the offset just past the ID3v2 tag(s) at the start of rs.
// The tag's own size field is checked against the file size, so a lying
// size cannot make anyone allocate or skip beyond the file.
func id3v2End(rs io.ReadSeeker, size int64, name string) (int64, error) {
	var off int64
	var h [10]byte
	for {
		if _, err := rs.Seek(off, io.SeekStart); err != nil {
			return 0, fileErr(name, err)
		}
		if n, _ := io.ReadFull(rs, h[:]); n < 10 || string(h[:3]) != "ID3" {
			if off == 0 {
				return 0, damagedf(name, "truncated ID3v2 tag")
			}
			return off, nil
		}
		if h[3] == 0xFF || h[4] == 0xFF || h[6]|h[7]|h[8]|h[9] >= 0x80 {
			return 0, damagedf(name, "invalid ID3v2 tag header")
		}
		tagLen := int64(h[6])<<21 | int64(h[7])<<14 | int64(h[8])<<7 | int64(h[9])
		end := off + 10 + tagLen
		if h[5]&0x10 != 0 { // footer present
			end += 10
		}
		if end > size {
			return 0, damagedf(name, "truncated ID3v2 tag (%d bytes claimed, file has %d)", end-off, size-off)
		}
		off = end
	}
}

// mp3TagsEnd returns where the audio ends: before an ID3v1 tag and an APEv2
// tag at the end of the file, if present. Their bytes are not MPEG frames.
func mp3TagsEnd(rs io.ReadSeeker, off, end int64) int64 {
	var b [32]byte
	read := func(at int64, p []byte) bool {
		if at < off {
			return false
		}
		if _, err := rs.Seek(at, io.SeekStart); err != nil {
			return false
		}
		_, err := io.ReadFull(rs, p)
		return err == nil
	}
	if read(end-128, b[:3]) && string(b[:3]) == "TAG" {
		end -= 128
	}
	if read(end-32, b[:]) && string(b[:8]) == "APETAGEX" {
		n := int64(binary.LittleEndian.Uint32(b[12:])) // tag size, footer included
		if binary.LittleEndian.Uint32(b[20:])&(1<<31) != 0 {
			n += 32 // a header too
		}
		if n >= 32 && end-n >= off {
			end -= n
		}
	}
	return end
}

// section presents bytes [off, end) of rs as a whole io.ReadSeeker, so that
// go-mp3 sees neither the tags before the audio nor anything past the end.
// It buffers: go-mp3 reads a few bytes at a time.
type section struct {
	rs       io.ReadSeeker
	off, end int64
	pos      int64  // relative to off
	buf      []byte // bytes from bufAt (relative to off)
	bufAt    int64
}

func (s *section) Read(p []byte) (int, error) {
	if s.pos >= s.end-s.off {
		return 0, io.EOF
	}
	if s.pos < s.bufAt || s.pos >= s.bufAt+int64(len(s.buf)) {
		n := min(64<<10, s.end-s.off-s.pos)
		if int64(cap(s.buf)) < n {
			s.buf = make([]byte, n)
		}
		if _, err := s.rs.Seek(s.off+s.pos, io.SeekStart); err != nil {
			return 0, err
		}
		got, err := io.ReadFull(s.rs, s.buf[:n])
		s.buf, s.bufAt = s.buf[:got], s.pos
		if got == 0 {
			if err == nil || err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			return 0, err
		}
	}
	n := copy(p, s.buf[s.pos-s.bufAt:])
	s.pos += int64(n)
	return n, nil
}

func (s *section) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += s.pos
	case io.SeekEnd:
		offset += s.end - s.off
	}
	if offset < 0 {
		return 0, errors.New("seek before start")
	}
	s.pos = offset
	return offset, nil
}

// newMP3Reader starts decoding MP3 frames at or after offset off.
func newMP3Reader(rs io.ReadSeeker, off, size int64, name string, closer io.Closer) (r Reader, err error) {
	size = mp3TagsEnd(rs, off, size)
	start, ok := sniffMP3(rs, off, size)
	if !ok {
		return nil, damagedf(name, "no MPEG audio Layer III frames found")
	}
	var hb [4]byte
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return nil, fileErr(name, err)
	}
	if _, err := io.ReadFull(rs, hb[:]); err != nil {
		return nil, fileErr(name, err)
	}
	if h, _ := parseMP3Header(hb[:]); h.version == 0 {
		return nil, unsupportedf(name, "MPEG-2.5 MP3 is not supported")
	}
	defer func() {
		// go-mp3 is not hardened against every malformed input; a panic in
		// it is a decode error, not a crash of the program.
		if p := recover(); p != nil {
			r, err = nil, damagedf(name, "invalid MP3 data (%v)", p)
		}
	}()
	// The Seeker lets go-mp3 scan all frame headers once here, which gives
	// the length; the scan is linear in the file size.
	dec, err := mp3.NewDecoder(&section{rs: rs, off: start, end: size})
	if err != nil {
		return nil, mp3Err(name, err)
	}
	if mp3Truncated(rs, start, size) {
		return nil, damagedf(name, "truncated MP3 stream (last frame cut short)")
	}
	m := &mp3Reader{dec: dec, closer: closer, name: name, left: dec.Length() / 4}
	// Without a Xing/LAME frame the encoder delay is unknown, but the
	// decoder's own delay still applies (as lame --decode and mpg123 do).
	m.skip = min(mp3DecoderDelay, m.left)
	m.left -= m.skip
	if g, ok := mp3Gapless(rs, start, size); ok {
		m.left += m.skip
		// The Xing frame counts the frames after it (LAME; some encoders
		// count itself too, hence no +1 here): fewer in the file means it
		// was cut short.
		if g.frames > 0 && m.left < g.frames*g.spf {
			return nil, damagedf(name, "truncated MP3 stream (%d of %d frames)", m.left/g.spf-1, g.frames)
		}
		skip, total := g.skip, g.total
		m.skip = min(skip, m.left)
		m.left -= m.skip
		if total >= 0 && total < m.left {
			m.left = total
		}
	}
	m.info = Info{Format: "mp3", SampleRate: dec.SampleRate(), Channels: 2, Frames: m.left}
	if m.info.SampleRate <= 0 {
		return nil, damagedf(name, "invalid MP3 sample rate")
	}
	return m, nil
}

// mp3Err turns a go-mp3 error into ours, naming truncation plainly.
func mp3Err(name string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return damagedf(name, "truncated MP3 stream")
	}
	return &Error{Path: name, Kind: ErrDamaged, Msg: "invalid MP3 data", Err: err}
}

func (m *mp3Reader) Info() Info { return m.info }

// sizeHint is exact: the frame scan at open counted the frames.
func (m *mp3Reader) sizeHint() int64 { return m.info.Frames }

func (m *mp3Reader) Read(dst [][]float32) (n int, err error) {
	if m.err != nil {
		return 0, m.err
	}
	want, err := checkDst(dst, 2, m.name)
	if err != nil {
		return 0, err
	}
	if m.left <= 0 {
		m.err = io.EOF
		return 0, io.EOF
	}
	for m.skip > 0 {
		// Drop the encoder delay (and the Xing frame's silence) first.
		k := min(m.skip, blockFrames)
		if cap(m.buf) < int(k)*4 {
			m.buf = make([]byte, k*4)
		}
		got, err := m.readFull(m.buf[:k*4])
		m.skip -= int64(got / 4)
		if err != nil {
			m.skip = 0
			m.left = 0
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				m.err = damagedf(m.name, "truncated MP3 stream")
			} else {
				m.err = mp3Err(m.name, err)
			}
			return 0, m.err
		}
	}
	want = int(min(int64(want), m.left, blockFrames))
	if cap(m.buf) < want*4 {
		m.buf = make([]byte, want*4)
	}
	buf := m.buf[:want*4]
	got, err := m.readFull(buf)
	n = got / 4
	for i := 0; i < n; i++ {
		dst[0][i] = float32(int16(binary.LittleEndian.Uint16(buf[4*i:]))) * (1.0 / 32768)
		dst[1][i] = float32(int16(binary.LittleEndian.Uint16(buf[4*i+2:]))) * (1.0 / 32768)
	}
	m.left -= int64(n)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			// The frame scan at open counted a frame that is not all
			// there: the file was cut short.
			m.left = 0
			m.err = damagedf(m.name, "truncated MP3 stream")
		} else {
			m.err = mp3Err(m.name, err)
		}
		if n == 0 {
			return 0, m.err
		}
	}
	return n, nil
}

// readFull reads len(p) bytes from the decoder, recovering from panics in it.
func (m *mp3Reader) readFull(p []byte) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder failure (%v)", r)
		}
	}()
	return io.ReadFull(m.dec, p)
}

func (m *mp3Reader) Close() error {
	m.err = errorf(m.name, nil, "read after Close")
	if m.closer != nil {
		c := m.closer
		m.closer = nil
		return c.Close()
	}
	return nil
}

// mp3Truncated walks the frame headers from start and reports whether the
// last frame runs past the end of the file. It stops quietly at anything
// that is not a frame header (trailing junk is go-mp3's business).
func mp3Truncated(rs io.ReadSeeker, start, end int64) bool {
	var h [4]byte
	for pos := start; pos+4 <= end; {
		if _, err := rs.Seek(pos, io.SeekStart); err != nil {
			return false
		}
		if _, err := io.ReadFull(rs, h[:]); err != nil {
			return false
		}
		fh, ok := parseMP3Header(h[:])
		if !ok {
			return false
		}
		if pos+int64(fh.length) > end {
			return true
		}
		pos += int64(fh.length)
	}
	return false
}

// mp3DecoderDelay is the delay of the MPEG audio synthesis filterbank, in
// samples, which LAME's encoder delay figure does not include.
const mp3DecoderDelay = 529

// mp3Info is what the Xing/Info frame says about a stream.
type mp3Info struct {
	spf    int64 // samples per frame
	frames int64 // MPEG frames after the Xing frame; -1 if not given
	skip   int64 // decoded frames to drop at the start
	total  int64 // frames of real audio; -1 if unknown
}

// mp3Gapless reads the Xing/Info frame that LAME and most encoders put first.
// It gives how many decoded frames to drop at the start (the Xing frame
// itself, which decodes as silence, plus the encoder and decoder delay) and
// the number of frames of real audio, so output lines up with the encoder's
// input as with lame --decode, mpg123 or ffmpeg.
func mp3Gapless(rs io.ReadSeeker, start, size int64) (g mp3Info, ok bool) {
	buf := make([]byte, min(size-start, 2048))
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return g, false
	}
	if _, err := io.ReadFull(rs, buf); err != nil {
		return g, false
	}
	h, ok := parseMP3Header(buf)
	if !ok || h.length > len(buf) {
		return g, false
	}
	buf = buf[:h.length]
	mono := buf[3]>>6 == 3
	spf := int64(1152) // samples per frame
	side := 32
	switch {
	case h.version == 3 && mono:
		side = 17
	case h.version != 3 && mono:
		side, spf = 9, 576
	case h.version != 3:
		side, spf = 17, 576
	}
	off := 4 + side
	if buf[1]&1 == 0 { // CRC follows the header
		off += 2
	}
	if off+8 > len(buf) || (string(buf[off:off+4]) != "Xing" && string(buf[off:off+4]) != "Info") {
		return g, false
	}
	flags := binary.BigEndian.Uint32(buf[off+4:])
	p := off + 8
	frames := int64(-1)
	if flags&1 != 0 {
		if p+4 > len(buf) {
			return g, false
		}
		frames = int64(binary.BigEndian.Uint32(buf[p:]))
		p += 4
	}
	if flags&2 != 0 {
		p += 4
	}
	if flags&4 != 0 {
		p += 100
	}
	if flags&8 != 0 {
		p += 4
	}
	// The LAME extension: 9-byte encoder version, then delay and padding
	// (12 bits each) 21 bytes in.
	if p+24 > len(buf) || (string(buf[p:p+4]) != "LAME" && string(buf[p:p+4]) != "Lavc" && string(buf[p:p+4]) != "Lavf") {
		return mp3Info{spf: spf, frames: frames, skip: spf, total: -1}, true // skip the Xing frame only
	}
	d := buf[p+21:]
	delay := int64(d[0])<<4 | int64(d[1])>>4
	padding := int64(d[1]&0x0F)<<8 | int64(d[2])
	g = mp3Info{spf: spf, frames: frames, skip: spf + delay + mp3DecoderDelay, total: -1}
	if frames > 0 && frames*spf > delay+padding {
		g.total = frames*spf - delay - padding
	}
	return g, true
}
