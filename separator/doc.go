// Package separator splits a stereo track into stems with an exported
// MDX23C / TFC-TDF v3 model (docs/ARCHITECTURE.md): it cuts the track into
// overlapping chunks, runs them through libtorch in batches, and overlap-adds
// the outputs, streaming from a Source to a Sink.
//
// # Modes
//
// ModeMSST (the default) is the demix of Music-Source-Separation-Training
// (utils/model_utils.py, generic mode), the reference for MDX23C drum
// models: step = chunk/overlap; a track longer than 2·(chunk−step) is
// reflect-padded by chunk−step at both ends; a final partial chunk longer
// than half a chunk is reflect-padded to full length, a shorter one
// zero-padded; each chunk's output is weighted by a window with linear
// fades of chunk/10 samples at both ends, except that the first chunk keeps
// no fade-in and the last one no fade-out; the weighted sum is divided by
// the sum of weights, where that sum is zero the result is 0 (MSST's
// nan_to_num — this happens only with overlap 1, at chunk edges, or at the
// last sample of an unpadded track exactly one chunk long), and the padding
// is trimmed. Sums are float32, in chunk order, like MSST's.
//
// MSST decides the edge windows once per batch, so its own result depends
// on the batch size (with batch > 1 every chunk of the last batch loses its
// fade-out and the first chunk keeps its fade-in). drumsplit applies the same
// rule to each chunk: its result equals MSST's at batch 1 (MSST's default
// for MDX23C) for every batch size.
//
// ModeUVR is the demix of Ultimate Vocal Remover and python-audio-separator
// for these models: chunk−step zeros in front, step − ((L − chunk) mod step)
// + chunk − step zeros behind (Python's floor modulo), full chunks every
// step, a plain (rectangular) average of the overlapping outputs. UVR
// divides the sum by the overlap N, which is the average only when N
// divides the chunk; otherwise some samples are covered N+1 times and UVR
// makes them (N+1)/N too loud. drumsplit divides by the number of chunks
// covering each sample: bit for bit UVR's result whenever N divides the
// chunk (DrumSep's 130560 with overlap 1–6, 8 or 10, UVR's default 8), a
// true average otherwise.
//
// # Streaming and memory
//
// Separate reads the Source only as far ahead as the next chunk needs and
// writes each output sample as soon as no later chunk covers it. Memory is a
// few batches of chunks (input and stems) plus accumulators of about one
// chunk per stem, whatever the track's length. The track's length need not
// be known in advance: MSST's padding decision and the choice of the last
// chunk are made by reading ahead, so a Source with Frames() == -1 gives the
// same result (only the progress report lacks totals until the end).
//
// Batches always have the configured shape; the last one is padded with
// zero chunks whose outputs are discarded, so libtorch never sees a new
// input shape. Open runs one warm-up batch, except on the CPU at fp32,
// where it would only delay the first chunk. Three goroutines overlap the
// host's work (reading, chunking, the Go STFT; iSTFT, accumulation,
// writing) with the device's. An out-of-memory error halves the batch size
// and retries (logged); cancelling the context stops within one batch. A
// NaN or infinity in the model's output fails the separation with a
// *NonFiniteError (ErrNonFinite) before any sample it touches is written.
//
// # Devices, precision and STFT
//
// Device "auto" picks Apple's MPS when available, else CUDA device 0, else
// the CPU, and logs the choice and why at Info level (Options.Logger; none
// by default). An explicit device that is unavailable falls back along the
// same order with a warning, or fails when StrictDevice is set. When a
// libtorch built with CUDA sees no GPU inside a container, the log says how
// to expose one.
//
// Precision "auto" is fp16 on CUDA (what MSST's autocast amounts to) and
// fp32 on MPS and the CPU. fp16 on the CPU falls back to fp32 with a warning
// (libtorch's CPU convolutions have no fp16 kernels); any reduced precision
// whose warm-up batch fails with a torch error falls back to fp32 the same
// way, converting the loaded module back rather than reading the file
// again.
//
// STFT "auto" runs the spectrogram in Go (package stft) around the model's
// forward_spec method on MPS, and the model's in-graph STFT (forward)
// elsewhere; "go" and "model" force either. Both give the same stems within
// float32 rounding.
package separator
