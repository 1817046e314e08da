//go:build cgo

package torch

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestReport: the CPU comes first, auto names a listed device with a
// reason, and the report marshals to the fields `devices --json` prints.
func TestReport(t *testing.T) {
	needLib(t)
	r, err := Report()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Devices) == 0 || r.Devices[0].Device != "cpu" || r.Devices[0].Type != "cpu" || r.Libtorch == "" || r.AutoReason == "" {
		t.Fatalf("Report() = %+v", r)
	}
	found := false
	for _, d := range r.Devices {
		found = found || d.Device == r.Auto
	}
	if !found {
		t.Errorf("auto %q is not among %+v", r.Auto, r.Devices)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"libtorch":`, `"devices":[{"device":"cpu","type":"cpu","index":`, `"total_memory":`, `"auto":`, `"auto_reason":`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON %s lacks %s", b, k)
		}
	}
}
