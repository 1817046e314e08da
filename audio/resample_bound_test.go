package audio

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
)

// TestResampleRates checks that rates outside MinSampleRate..MaxSampleRate
// are refused with one line saying which rates are supported, by the
// resampler and by the decoders: a 16 KB WAV claiming 1 Hz resampled to
// 44.1 kHz once took 3.3 GB, a 4 KB one claiming 16.7 MHz 400 MB.
func TestResampleRates(t *testing.T) {
	const want = "(1000 to 768000 Hz are)"
	for _, c := range [][2]int{{1, 44100}, {44100, 1}, {999, 44100}, {1 << 24, 44100}, {44100, 768001}, {0, 44100}, {44100, -1}} {
		_, err := NewResampler(c[0], c[1], 2)
		if !errors.Is(err, ErrRate) {
			t.Errorf("NewResampler(%d, %d): error %v, want ErrRate", c[0], c[1], err)
			continue
		}
		bad := c[0]
		if bad >= MinSampleRate && bad <= MaxSampleRate {
			bad = c[1]
		}
		if s := "sample rate " + strconv.Itoa(bad) + " Hz is not supported " + want; err.Error() != s {
			t.Errorf("error %q, want %q", err, s)
		}
	}
	for _, c := range [][2]int{{MinSampleRate, MaxSampleRate}, {MaxSampleRate, MinSampleRate}, {767999, 1000}, {768000, 4093}} {
		r, err := NewResampler(c[0], c[1], 2)
		if err != nil {
			t.Errorf("NewResampler(%d, %d): %v", c[0], c[1], err)
			continue
		}
		// The coefficient table stays small for every ratio in range.
		if len(r.bank) > resamplerMaxBank+r.taps {
			t.Errorf("%d→%d: %d coefficients (%d taps)", c[0], c[1], len(r.bank), r.taps)
		}
	}
	for _, c := range []struct {
		rate, bytes int
	}{{1, 16 << 10}, {1 << 24, 4 << 10}} {
		name := strconv.Itoa(c.rate) + "Hz.wav"
		file := buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(wavFormatPCM, 2, c.rate, 16, false)},
			wavChunk{id: "data", body: make([]byte, c.bytes)})
		_, _, err := decodeBytes(file, name)
		checkOneLine(t, err, name)
		if !errors.Is(err, ErrRate) {
			t.Errorf("%s: error %v, want ErrRate", name, err)
		}
	}
}

// toneReader is a Reader of a 1-channel square wave, frames long.
type toneReader struct {
	rate   int
	frames int64
	pos    int64
}

func (r *toneReader) Info() Info {
	return Info{Format: "test", SampleRate: r.rate, Channels: 1, Frames: r.frames}
}

func (r *toneReader) Read(dst [][]float32) (int, error) {
	n := int(min(int64(len(dst[0])), r.frames-r.pos))
	if n == 0 {
		return 0, io.EOF
	}
	for i := range dst[0][:n] {
		dst[0][i] = float32((r.pos+int64(i))/7%2) - 0.5
	}
	r.pos += int64(n)
	return n, nil
}

func (r *toneReader) Close() error { return nil }

// TestResampleReaderMemory checks that ResampleReader holds a bounded
// amount of output at any ratio: at 1 kHz → 768 kHz, one 8192-frame input
// block makes 6.3 M output frames, which it must not produce at once.
func TestResampleReaderMemory(t *testing.T) {
	const in = 5 * MinSampleRate // 5 s in, 3.84 M frames (15 MB) out
	rr, err := ResampleReader(&toneReader{rate: MinSampleRate, frames: in}, MaxSampleRate)
	if err != nil {
		t.Fatal(err)
	}
	dst := [][]float32{make([]float32, 16384)}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	total := int64(0)
	for {
		n, err := rr.Read(dst)
		total += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if want := int64(in) * MaxSampleRate / MinSampleRate; total != want {
		t.Errorf("got %d frames, want %d", total, want)
	}
	// Generous: the filter, its history and about one block of output.
	const bound = 4 << 20
	if a := after.TotalAlloc - before.TotalAlloc; a > bound {
		t.Errorf("allocated %d bytes while reading; want ≤ %d whatever the length", a, bound)
	}
}

// countingCtx is a context whose Err reports cancellation from its
// cancelAt-th call on, counting the calls: a deterministic stand-in for a
// cancellation arriving in the middle of the work.
type countingCtx struct {
	context.Context
	calls, cancelAt int64
}

func (c *countingCtx) Err() error {
	if atomic.AddInt64(&c.calls, 1) >= c.cancelAt {
		return context.Canceled
	}
	return nil
}

// TestResampleContextCancel checks that ResampleContext checks its context
// between pieces of bounded output (so a cancellation stops it within one
// piece) and stops at the first check that sees it.
func TestResampleContextCancel(t *testing.T) {
	const in = 5 * MinSampleRate
	buf := &Buffer{SampleRate: MinSampleRate, Data: [][]float32{make([]float32, in), make([]float32, in)}}
	out := int64(in) * MaxSampleRate / MinSampleRate

	// Uncancelled: count the checks.
	ctx := &countingCtx{Context: context.Background(), cancelAt: 1 << 62}
	b, err := ResampleContext(ctx, buf, MaxSampleRate)
	if err != nil {
		t.Fatal(err)
	}
	if int64(b.Frames()) != out {
		t.Fatalf("got %d frames, want %d", b.Frames(), out)
	}
	if least := out / (2 * resamplerBlock); ctx.calls < least {
		t.Errorf("context checked %d times for %d output frames; want ≥ %d (every %d frames or so)",
			ctx.calls, out, least, resamplerBlock)
	}

	// Cancelled part way: it stops at the next check.
	ctx = &countingCtx{Context: context.Background(), cancelAt: 5}
	b, err = ResampleContext(ctx, buf, MaxSampleRate)
	if b != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("got a buffer: %v, error %v; want context.Canceled", b != nil, err)
	}
	var ae *Error
	if !errors.As(err, &ae) || err.Error() != "context canceled" {
		t.Errorf("error %q (%T) is not an *Error saying context canceled", err, err)
	}
	if ctx.calls != 5 {
		t.Errorf("context checked %d times; it should stop at the 5th", ctx.calls)
	}
}
