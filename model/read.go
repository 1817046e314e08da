package model

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/drumsplit/drumsplit/internal/regular"
)

// maxMetadataSize bounds how much of the metadata entry is read, so that a
// hostile archive cannot make ReadInfo allocate without limit.
const maxMetadataSize = 4 << 20

// weightsPrefix starts the name (below the archive's top folder) of every
// tensor record: torch writes tensor i's bytes to "<top>/data/<i>".
const weightsPrefix = "data/"

// copyBufferSize is the read size when checking records: large enough that
// the per-call overhead vanishes against CRC-32 and SHA-256, small enough
// not to matter beside a model (one buffer per worker).
const copyBufferSize = 256 << 10

// maxCheckWorkers bounds the goroutines that check records in parallel: past
// a few cores the page cache or the disk is the limit.
const maxCheckWorkers = 8

// ReadInfo reads the metadata of the exported model at path and checks that
// the file is intact, in one pass over one open of the file: every zip record
// must match its CRC-32, and the tensor records the metadata's weights_sha256
// (when the file has one). That reads the whole file, which the libtorch load
// that follows then finds in the page cache.
//
// ReadInfo refuses anything but a regular file before it could block on it
// (a named pipe, a device). Errors about the file's content are *FormatError
// (ErrCorrupt for damage); I/O errors name the file and wrap the OS error,
// so errors.Is(err, fs.ErrNotExist) works. Every message is one line.
func ReadInfo(path string) (*Info, error) {
	f, st, err := regular.Open(path)
	var nr *regular.NotRegularError
	switch {
	case errors.As(err, &nr) && nr.Mode.IsDir():
		return nil, &FormatError{Path: path, Err: ErrNotZip, Detail: nr.What()} // as it always was
	case errors.As(err, &nr):
		return nil, &FormatError{Path: path, Err: ErrNotRegular, Detail: nr.What()}
	case err != nil:
		return nil, ioError(path, err)
	}
	defer f.Close()
	info, err := ReadInfoFrom(f, st.Size())
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.Path = path
			return nil, fe
		}
		return nil, ioError(path, err)
	}
	return info, nil
}

// ioError wraps an OS error for path as one line without the path an
// *fs.PathError would repeat ("model "x.pt": permission denied").
func ioError(path string, err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		err = pe.Err
	}
	return &fileError{path: path, err: err}
}

// ReadInfoFrom reads the metadata of an exported model held by r (size
// bytes) and checks its integrity like ReadInfo: a caller that has the file
// open already uses it to read the file once. Errors about the content are
// *FormatError without a Path.
func ReadInfoFrom(r io.ReaderAt, size int64) (*Info, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrAlgorithm) || errors.Is(err, zip.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &FormatError{Err: ErrNotZip}
		}
		return nil, fmt.Errorf("reading the zip directory: %w", err)
	}
	var meta *zip.File
	var torchscript, pickle bool
	for _, f := range z.File {
		// Entries are "<top>/…"; the top folder's name varies with how the
		// archive was written.
		_, rest, ok := cutTop(f.Name)
		if !ok {
			continue
		}
		switch {
		case rest == MetadataFile:
			meta = f
		case rest == "constants.pkl" || strings.HasPrefix(rest, "code/"):
			torchscript = true
		case rest == "data.pkl":
			pickle = true
		}
	}
	if !torchscript {
		if pickle {
			return nil, &FormatError{Err: ErrNotTorchScript, Detail: "a PyTorch checkpoint; convert it with drumsplit export"}
		}
		return nil, &FormatError{Err: ErrNotTorchScript}
	}
	if meta == nil {
		return nil, &FormatError{Err: ErrNotDrumsplit, Detail: "a TorchScript archive without " + MetadataFile + "; export models with drumsplit export"}
	}
	if meta.UncompressedSize64 > maxMetadataSize {
		return nil, &FormatError{Err: ErrMetadata, Detail: fmt.Sprintf("%s is %d bytes", path.Base(meta.Name), meta.UncompressedSize64)}
	}
	data, err := readRecord(meta)
	if err != nil {
		return nil, err
	}
	info, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if err := verify(z, meta, info.WeightsSHA256); err != nil {
		return nil, err
	}
	return info, nil
}

// cutTop splits an entry name "<top>/<rest>".
func cutTop(name string) (top, rest string, ok bool) {
	top, rest, ok = strings.Cut(name, "/")
	return top, rest, ok && top != ""
}

// readRecord reads a small record whole; archive/zip checks its CRC-32 at EOF.
func readRecord(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, recordError(f, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxMetadataSize+1))
	if err != nil {
		return nil, recordError(f, err)
	}
	return data, nil
}

// recordError turns an error reading record f into ErrCorrupt where it is
// about the bytes (checksum, truncation, a malformed header); I/O errors
// pass through.
func recordError(f *zip.File, err error) error {
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return &FormatError{Err: ErrCorrupt, Detail: fmt.Sprintf("record %q fails its CRC-32 check", f.Name)}
	case errors.Is(err, zip.ErrFormat), errors.Is(err, io.ErrUnexpectedEOF):
		return &FormatError{Err: ErrCorrupt, Detail: fmt.Sprintf("record %q is truncated or malformed", f.Name)}
	case errors.Is(err, zip.ErrAlgorithm):
		return &FormatError{Err: ErrCorrupt, Detail: fmt.Sprintf("record %q has an unknown compression method", f.Name)}
	}
	return fmt.Errorf("reading record %q: %w", f.Name, err)
}

// verify reads every record of z except meta (read already) to its end, so
// that archive/zip checks each CRC-32, and checks the tensor records against
// want (hex) when it is set. The digest is defined in docs/ARCHITECTURE.md
// and written by scripts/drumsplit_model/export.py: SHA-256 over the records
// "<top>/data/<key>" in ascending byte order of "data/<key>", each as that
// name, a zero byte, its size as a big-endian uint64 and the SHA-256 of its
// bytes. Hashing each record on its own lets the records be checked in
// parallel: SHA-256 is the cost (about 1.5 GB/s per core with SHA-NI).
func verify(z *zip.Reader, meta *zip.File, want string) error {
	var weights, others []*zip.File
	seen := make(map[string]bool, len(z.File))
	for _, f := range z.File {
		if seen[f.Name] {
			return &FormatError{Err: ErrCorrupt, Detail: fmt.Sprintf("two records named %q", f.Name)}
		}
		seen[f.Name] = true
		switch _, rest, ok := cutTop(f.Name); {
		case f == meta:
		case ok && strings.HasPrefix(rest, weightsPrefix):
			weights = append(weights, f)
		default:
			others = append(others, f)
		}
	}
	key := func(f *zip.File) string { _, rest, _ := cutTop(f.Name); return rest }
	sort.Slice(weights, func(i, j int) bool { return key(weights[i]) < key(weights[j]) })
	for i := 1; i < len(weights); i++ {
		if key(weights[i]) == key(weights[i-1]) {
			return &FormatError{Err: ErrCorrupt, Detail: fmt.Sprintf("two tensor records named %q", key(weights[i]))}
		}
	}

	records := append(weights, others...)
	sums := make([][sha256.Size]byte, len(weights))
	errs := make([]error, len(records))
	next := make(chan int)
	// firstBad is the lowest index of a record found damaged: records after
	// it need not be read, records before it all are.
	var firstBad atomic.Int64
	firstBad.Store(math.MaxInt64)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), maxCheckWorkers, len(records)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, copyBufferSize)
			h := sha256.New()
			for i := range next {
				if int64(i) > firstBad.Load() {
					continue
				}
				hashed := i < len(weights) && want != ""
				var w io.Writer = io.Discard
				if hashed {
					h.Reset()
					w = h
				}
				if errs[i] = checkRecord(records[i], w, buf); errs[i] != nil {
					for bad := firstBad.Load(); int64(i) < bad && !firstBad.CompareAndSwap(bad, int64(i)); bad = firstBad.Load() {
					}
				} else if hashed {
					h.Sum(sums[i][:0])
				}
			}
		}()
	}
	for i := range records {
		next <- i
	}
	close(next)
	wg.Wait()
	// Every record before firstBad was read, so the first error in order is
	// the one a sequential pass would meet.
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if want == "" {
		return nil
	}
	digest := sha256.New()
	for i, f := range weights {
		var head [9]byte
		binary.BigEndian.PutUint64(head[1:], f.UncompressedSize64)
		io.WriteString(digest, key(f))
		digest.Write(head[:])
		digest.Write(sums[i][:])
	}
	if hex.EncodeToString(digest.Sum(nil)) != want {
		return &FormatError{Err: ErrCorrupt, Detail: "weights checksum mismatch"}
	}
	return nil
}

// checkRecord copies record f to w; archive/zip checks the size and the
// CRC-32 when the copy reaches the end.
func checkRecord(f *zip.File, w io.Writer, buf []byte) error {
	rc, err := f.Open()
	if err != nil {
		return recordError(f, err)
	}
	defer rc.Close()
	// The wrappers hide io.Discard's ReadFrom, which would read in 8 KiB
	// pieces, one system call each, instead of buf's.
	if _, err := io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{rc}, buf); err != nil {
		return recordError(f, err)
	}
	return nil
}
