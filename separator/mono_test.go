package separator

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"reflect"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
)

// TestMonoInput: the library separates mono input, from memory
// (SeparateBuffer) and from a decoder (ReaderSource), as a stereo track of
// two equal channels, as the command line does; more channels than two
// keep the first two. Both used to be refused ("need 2").
func TestMonoInput(t *testing.T) {
	const n = 2500 // a few chunks of the fake model's 1000
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)*0.05)) * 0.5
	}
	ctx := context.Background()
	sep := func() *Separator {
		return fakeSeparator(t, &fakeEngine{model: normModel, S: 2, C: 1000}, 1)
	}
	want, err := sep().SeparateBuffer(ctx, [][]float32{x, x})
	if err != nil {
		t.Fatal(err)
	}

	got, err := sep().SeparateBuffer(ctx, [][]float32{x})
	if err != nil {
		t.Fatalf("mono buffer: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("mono buffer: stems differ from those of the same track as two equal channels")
	}
	y := make([]float32, n)
	got, err = sep().SeparateBuffer(ctx, [][]float32{x, x, y})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("three channels: %v, or stems differ from those of the first two", err)
	}

	// A mono 16-bit WAV through the decoder, as a library user reads one.
	var pcm []byte
	for _, v := range x {
		pcm = binary.LittleEndian.AppendUint16(pcm, uint16(int16(math.Round(float64(v)*32767))))
	}
	var wav bytes.Buffer
	wav.WriteString("RIFF")
	binary.Write(&wav, binary.LittleEndian, uint32(36+len(pcm)))
	wav.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(44100), uint32(88200), uint16(2), uint16(16)} {
		binary.Write(&wav, binary.LittleEndian, v)
	}
	wav.WriteString("data")
	binary.Write(&wav, binary.LittleEndian, uint32(len(pcm)))
	wav.Write(pcm)
	r, err := audio.NewReader(bytes.NewReader(wav.Bytes()), "mono.wav")
	if err != nil {
		t.Fatal(err)
	}
	if r.Info().Channels != 1 {
		t.Fatalf("test input has %d channels", r.Info().Channels)
	}
	src, err := ReaderSource(r)
	if err != nil {
		t.Fatalf("ReaderSource of a mono reader: %v", err)
	}
	if src.Frames() != n {
		t.Errorf("Frames = %d, want %d", src.Frames(), n)
	}
	sink := newBufferSink(2, n)
	if err := sep().Separate(ctx, src, sink); err != nil {
		t.Fatal(err)
	}
	for s := range sink.stems {
		if len(sink.stems[s]) != 2 || len(sink.stems[s][0]) != n {
			t.Fatalf("stem %d: %d channels of %d frames", s, len(sink.stems[s]), len(sink.stems[s][0]))
		}
		if !reflect.DeepEqual(sink.stems[s][0], sink.stems[s][1]) {
			t.Errorf("stem %d: the channels of a mono input differ", s)
		}
		if d := planarDiff(sink.stems[s], want[s]); d > 1e-3 {
			t.Errorf("stem %d: differs by %g from the buffer's (16-bit rounding is 3e-5)", s, d)
		}
	}
}

func planarDiff(a, b [][]float32) float64 {
	var d float64
	for ch := range a {
		for i := range a[ch] {
			d = max(d, math.Abs(float64(a[ch][i]-b[ch][i])))
		}
	}
	return d
}
