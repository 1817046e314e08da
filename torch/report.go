package torch

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/drumsplit/drumsplit/internal/host"
)

// DeviceReport is what `drumsplit devices` reports (its --json output):
// the devices libtorch can use and the one AutoDevice picks.
type DeviceReport struct {
	Libtorch   string        `json:"libtorch"`
	Devices    []DeviceEntry `json:"devices"`
	Auto       string        `json:"auto"`
	AutoReason string        `json:"auto_reason"`
	// Note explains a missing GPU inside a container (ContainerGPUHint).
	Note string `json:"note,omitempty"`
}

// DeviceEntry is one device of a DeviceReport.
type DeviceEntry struct {
	Device      string `json:"device"`
	Type        string `json:"type"`
	Index       int    `json:"index"`
	Name        string `json:"name"`
	TotalMemory int64  `json:"total_memory"` // bytes, 0 if unknown
	FreeMemory  int64  `json:"free_memory"`  // bytes, 0 if unknown
}

// Report lists the devices (Devices) and the one AutoDevice picks, with
// why, and the libtorch version. An error opening the library is returned
// as it is (a *LibraryError).
func Report() (*DeviceReport, error) {
	v, err := Versions()
	if err != nil {
		return nil, err
	}
	devs, err := Devices()
	if err != nil {
		return nil, fmt.Errorf("listing devices: %w", err)
	}
	auto, why, err := AutoDevice()
	if err != nil {
		return nil, fmt.Errorf("choosing a device: %w", err)
	}
	r := &DeviceReport{Libtorch: v.Libtorch, Auto: auto.String(), AutoReason: why, Note: gpuNote(devs, v)}
	for _, d := range devs {
		r.Devices = append(r.Devices, DeviceEntry{Device: d.Device.String(), Type: d.Device.Type.String(),
			Index: d.Device.Index, Name: d.Name, TotalMemory: d.TotalMemory, FreeMemory: d.FreeMemory})
	}
	return r, nil
}

// WriteText writes the report for the terminal: a table of the devices
// with their memory, then auto's pick, the libtorch version and the note.
func (r *DeviceReport) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tNAME\tMEMORY")
	for _, d := range r.Devices {
		mem := "-"
		if d.TotalMemory > 0 {
			mem = fmt.Sprintf("%s free of %s", gib(d.FreeMemory), gib(d.TotalMemory))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Device, d.Name, mem)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nauto: %s (%s)\nlibtorch: %s\n", r.Auto, r.AutoReason, r.Libtorch)
	if err == nil && r.Note != "" {
		_, err = fmt.Fprintf(w, "note: %s\n", r.Note)
	}
	return err
}

func gib(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// gpuNote explains a missing GPU inside a container, where the usual cause
// is that the container was started without access to it.
func gpuNote(devs []DeviceInfo, v VersionInfo) string {
	for _, d := range devs {
		if d.Device.Type != CPU {
			return ""
		}
	}
	return host.ContainerGPUHint(v.HasCUDA())
}
