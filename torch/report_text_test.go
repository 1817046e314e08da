package torch

import (
	"strings"
	"testing"
)

// TestReportText: a row per device, memory in GiB where known, then the
// pick, the version and the note.
func TestReportText(t *testing.T) {
	r := &DeviceReport{Libtorch: "2.3.0", Auto: "cuda:0", AutoReason: "a GPU", Note: "a note", Devices: []DeviceEntry{
		{Device: "cpu", Name: "Xeon"},
		{Device: "cuda:0", Name: "H200", TotalMemory: 4 << 30, FreeMemory: 3 << 29},
	}}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "DEVICE  NAME  MEMORY\ncpu     Xeon  -\ncuda:0  H200  1.5 GiB free of 4.0 GiB\n\nauto: cuda:0 (a GPU)\nlibtorch: 2.3.0\nnote: a note\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
