package separator

import (
	"fmt"

	"github.com/drumsplit/drumsplit/model"
)

// Limits on the settings. They keep a typing error (--batch 100000) or a
// broken model file from asking for more memory than any machine has: the
// Go runtime cannot recover from that ("fatal error: runtime: out of
// memory"), while a setting out of range is one line the caller can show.
const (
	// MaxBatch is the largest batch size, in chunks.
	MaxBatch = 256
	// MaxOverlap is the largest overlap; more than a few dozen chunks per
	// sample improves nothing.
	MaxOverlap = 64
	// MaxBatchBytes bounds the model's float32 output for one batch,
	// batch × chunk × 2 channels × stems × 4 bytes. The pipeline keeps
	// three batches in flight, plus their inputs (and spectrograms with
	// the Go STFT).
	MaxBatchBytes = 4 << 30
)

// LimitError reports a setting out of the range the separator accepts,
// e.g. "batch size 100000 is out of range: at most 256".
type LimitError struct {
	Setting string // "batch size", "the model's chunk_size", …
	Value   int
	Limit   string // the range, in words
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s %d is out of range: %s", e.Setting, e.Value, e.Limit)
}

// checkOptions checks the settings Options give explicitly (0 takes the
// model's value).
func checkOptions(o Options) error {
	switch {
	case o.BatchSize < 0 || o.BatchSize > MaxBatch:
		return &LimitError{"batch size", o.BatchSize, fmt.Sprintf("1 to %d (0 takes the model's)", MaxBatch)}
	case o.Overlap < 0 || o.Overlap > MaxOverlap:
		return &LimitError{"overlap", o.Overlap, fmt.Sprintf("1 to %d (0 takes the model's)", MaxOverlap)}
	case o.ChunkSize < 0:
		return &LimitError{"chunk size", o.ChunkSize, "at least 1 (0 takes the model's)"}
	case o.Threads < 0:
		return &LimitError{"threads", o.Threads, "at least 1 (0 uses every usable CPU)"}
	}
	return nil
}

// plan resolves the chunk size, overlap and batch size from the options
// and the model's defaults, and checks them.
func plan(o Options, info *model.Info) (geometry, int, error) {
	chunk, chunkName := o.ChunkSize, "chunk size"
	if chunk == 0 {
		chunk, chunkName = info.ChunkSize, "the model's chunk_size"
	}
	overlap, overlapName := o.Overlap, "overlap"
	if overlap == 0 {
		overlap, overlapName = max(info.NumOverlap, 1), "the model's num_overlap"
	}
	batch, batchName := o.BatchSize, "batch size"
	if batch == 0 {
		batch, batchName = max(info.BatchSize, 1), "the model's batch_size"
	}
	switch {
	case batch > MaxBatch:
		return geometry{}, 0, &LimitError{batchName, batch, fmt.Sprintf("at most %d", MaxBatch)}
	case overlap > MaxOverlap:
		return geometry{}, 0, &LimitError{overlapName, overlap, fmt.Sprintf("1 to %d", MaxOverlap)}
	case chunk < 1:
		return geometry{}, 0, &LimitError{chunkName, chunk, "at least 1"}
	case overlap > chunk:
		return geometry{}, 0, &LimitError{overlapName, overlap, fmt.Sprintf("at most the chunk size, %d", chunk)}
	}
	if n := int64(batch) * int64(chunk) * 2 * int64(len(info.Stems)) * 4; n > MaxBatchBytes {
		return geometry{}, 0, &LimitError{batchName, batch, fmt.Sprintf(
			"%d chunks of %d samples × 2 channels × %d stems are %.1f GiB of output per batch, more than %d GiB: use a smaller batch or chunk",
			batch, chunk, len(info.Stems), float64(n)/(1<<30), MaxBatchBytes>>30)}
	}
	if err := info.CheckChunk(chunk); err != nil {
		return geometry{}, 0, err
	}
	g, err := newGeometry(o.Mode, chunk, overlap)
	return g, batch, err
}
