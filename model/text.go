package model

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the metadata as the aligned lines `drumsplit info`
// prints: name, stems, audio, STFT, chunk, runner defaults, precision,
// checkpoint and exporter. size is the file's size in bytes, < 0 when
// unknown.
func (i *Info) WriteText(w io.Writer, size int64) error {
	var b strings.Builder
	sz := ""
	if size >= 0 {
		sz = fmt.Sprintf(", %.1f MB", float64(size)/1e6)
	}
	sha := i.CheckpointSHA256
	if sha == "" {
		sha = "-"
	}
	seconds := float64(i.ChunkSize) / float64(i.SampleRate)
	fmt.Fprintf(&b, "model:        %s (%s, format %d%s)\n", i.Name, i.Architecture, i.FormatVersion, sz)
	fmt.Fprintf(&b, "stems:        %d: %s\n", i.NumStems(), strings.Join(i.Stems, ", "))
	fmt.Fprintf(&b, "audio:        %d Hz, %d channels\n", i.SampleRate, i.Channels)
	fmt.Fprintf(&b, "stft:         n_fft %d, hop %d, %d of %d bins\n", i.NFFT, i.HopLength, i.DimF, i.Bins())
	fmt.Fprintf(&b, "chunk:        %d samples (%.2f s), %d frames\n", i.ChunkSize, seconds, i.Frames())
	fmt.Fprintf(&b, "defaults:     overlap %d (step %d), batch %d\n", i.NumOverlap, i.Step(0), i.BatchSize)
	fmt.Fprintf(&b, "precision:    %s\n", i.Precision)
	if q := i.Int8; q != nil {
		fmt.Fprintf(&b, "int8:         %d of %d convolutions and linears quantised (%s), CPU only\n",
			len(q.Layers), len(q.Layers)+len(q.FP32Layers), q.Engine)
		var sdr []string
		for _, s := range i.Stems {
			if v, ok := q.SDR[s]; ok {
				sdr = append(sdr, fmt.Sprintf("%s %.1f", s, v))
			}
		}
		fmt.Fprintf(&b, "int8 vs fp32: SDR %s dB (measured at export on %d chunks not used to calibrate)\n",
			strings.Join(sdr, ", "), q.CheckChunks)
	}
	fmt.Fprintf(&b, "checkpoint:   sha256 %s\n", sha)
	fmt.Fprintf(&b, "exported by:  torch %s\n", i.TorchVersion)
	_, err := io.WriteString(w, b.String())
	return err
}
