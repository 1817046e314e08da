package model

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReadInfo measures ReadInfo with its integrity check (every
// record's CRC-32 and the weights digest) on a warm page cache. Set
// DRUMSPLIT_BENCH_MODEL to a model file to measure a full-size one.
func BenchmarkReadInfo(b *testing.B) {
	path := os.Getenv("DRUMSPLIT_BENCH_MODEL")
	if path == "" {
		path = filepath.Join(fixtures, "tiny6.pt")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(st.Size())
	for i := 0; i < b.N; i++ {
		if _, err := ReadInfo(path); err != nil {
			b.Fatal(err)
		}
	}
}
