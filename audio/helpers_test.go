package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// requireTool skips the test when the command-line tool is missing, unless
// CI is set (CI installs sox, flac and lame) or DRUMSPLIT_REQUIRE_TOOLS is,
// in which case a missing tool fails the test.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" || os.Getenv("DRUMSPLIT_REQUIRE_TOOLS") != "" {
		t.Fatalf("%s is required (CI or DRUMSPLIT_REQUIRE_TOOLS set) but not installed", name)
	}
	t.Skipf("%s not installed", name)
	return ""
}

// runTool runs a command and fails the test with its output on error.
func runTool(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(requireTool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// testSignal returns a deterministic multi-tone signal with a different mix
// per channel, peaking below amp.
func testSignal(channels, frames, rate int, amp float64) [][]float32 {
	d := make([][]float32, channels)
	for ch := range d {
		d[ch] = make([]float32, frames)
		f1 := 220.0 * float64(ch+1)
		f2 := 1000.0 + 370*float64(ch)
		for i := range d[ch] {
			t := float64(i) / float64(rate)
			d[ch][i] = float32(amp * (0.6*math.Sin(2*math.Pi*f1*t) + 0.4*math.Sin(2*math.Pi*f2*t+float64(ch))))
		}
	}
	return d
}

// maxAbsDiff returns the largest |a-b| over all channels and the frame
// count mismatch check is left to the caller.
func maxAbsDiff(a, b [][]float32) float64 {
	m := 0.0
	for ch := range a {
		for i := range a[ch] {
			if i < len(b[ch]) {
				m = math.Max(m, math.Abs(float64(a[ch][i])-float64(b[ch][i])))
			}
		}
	}
	return m
}

// wavChunk is one chunk of a hand-built RIFF file. If size is non-nil it
// replaces the real body length in the chunk header (to build lying files).
type wavChunk struct {
	id   string
	body []byte
	size *uint32
}

func u32p(v uint32) *uint32 { return &v }

// buildRIFF assembles a RIFF WAVE file from chunks, adding pad bytes after
// odd-sized bodies as the format requires.
func buildRIFF(magic string, chunks ...wavChunk) []byte {
	var b bytes.Buffer
	b.WriteString(magic)
	b.Write([]byte{0, 0, 0, 0})
	b.WriteString("WAVE")
	for _, c := range chunks {
		b.WriteString(c.id)
		size := uint32(len(c.body))
		if c.size != nil {
			size = *c.size
		}
		binary.Write(&b, binary.LittleEndian, size)
		b.Write(c.body)
		if len(c.body)%2 == 1 {
			b.WriteByte(0)
		}
	}
	out := b.Bytes()
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// fmtBody returns a plain fmt chunk body (16 bytes, or 18 with cbSize when
// cb is true).
func fmtBody(tag, channels, rate, bits int, cb bool) []byte {
	var b bytes.Buffer
	align := channels * bits / 8
	binary.Write(&b, binary.LittleEndian, []uint16{uint16(tag), uint16(channels)})
	binary.Write(&b, binary.LittleEndian, []uint32{uint32(rate), uint32(rate * align)})
	binary.Write(&b, binary.LittleEndian, []uint16{uint16(align), uint16(bits)})
	if cb {
		binary.Write(&b, binary.LittleEndian, uint16(0))
	}
	return b.Bytes()
}

// extensibleBody returns a WAVE_FORMAT_EXTENSIBLE fmt body (40 bytes).
func extensibleBody(sub, channels, rate, bits, valid int) []byte {
	b := fmtBody(wavFormatExtensible, channels, rate, bits, false)
	b = binary.LittleEndian.AppendUint16(b, 22)
	b = binary.LittleEndian.AppendUint16(b, uint16(valid))
	b = binary.LittleEndian.AppendUint32(b, 3) // channel mask FL|FR
	b = binary.LittleEndian.AppendUint16(b, uint16(sub))
	return append(b, wavSubformatTail...)
}

// pcmData encodes sig interleaved in the given WAV sample format.
func pcmData(sig [][]float32, tag, bits int) []byte {
	var b []byte
	for i := range sig[0] {
		for ch := range sig {
			v := float64(sig[ch][i])
			switch {
			case tag == wavFormatFloat && bits == 32:
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
			case tag == wavFormatFloat:
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			case bits == 8:
				b = append(b, byte(int(math.Round(v*127))+128))
			case bits == 16:
				b = binary.LittleEndian.AppendUint16(b, uint16(int16(math.Round(v*32767))))
			case bits == 24:
				x := int32(math.Round(v * 8388607))
				b = append(b, byte(x), byte(x>>8), byte(x>>16))
			case bits == 32:
				b = binary.LittleEndian.AppendUint32(b, uint32(int32(math.Round(v*2147483647))))
			}
		}
	}
	return b
}

// decodeBytes decodes an in-memory file.
func decodeBytes(data []byte, name string) (*Buffer, Info, error) {
	r, err := NewReader(bytes.NewReader(data), name)
	if err != nil {
		return nil, Info{}, err
	}
	defer r.Close()
	b, err := ReadAll(r)
	return b, r.Info(), err
}

// checkOneLine fails unless err is an *Error about name whose text is a
// single line starting with the quoted name.
func checkOneLine(t testing.TB, err error, name string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error")
	}
	if msg := errorLineProblem(err, name); msg != "" {
		t.Error(msg)
	}
}

// errorLineProblem says what is wrong with err as an error about name, or
// returns "".
func errorLineProblem(err error, name string) string {
	s := err.Error()
	prefix := strconv.Quote(name) + ": "
	var ae *Error
	switch {
	case !errors.As(err, &ae):
		return fmt.Sprintf("error %q is not an *Error", s)
	case ae.Path != name:
		return fmt.Sprintf("error %q has Path %q, want %q", s, ae.Path, name)
	case strings.Contains(s, "\n") || !strings.HasPrefix(s, prefix) || len(s) == len(prefix):
		return fmt.Sprintf("error %q is not one line starting with %q", s, prefix)
	case strings.Contains(s, "audio: "):
		return fmt.Sprintf("error %q has a package prefix", s)
	}
	return ""
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// checkBadInput decodes a damaged file and expects a one-line error that
// says want, with at most maxAlloc bytes allocated on the way: decoders must
// bound their allocations by the file's real size, not by its headers.
func checkBadInput(t *testing.T, name string, file []byte, want string, maxAlloc uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := decodeBytes(file, name)
	runtime.ReadMemStats(&after)
	checkOneLine(t, err, name)
	if err != nil && !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > maxAlloc {
		t.Errorf("allocated %d bytes for a %d-byte file", a, len(file))
	}
}
