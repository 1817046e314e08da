package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/internal/host"
	"github.com/drumsplit/drumsplit/torch"
)

func init() {
	register(&cli.Command{
		Name:  "devices",
		Usage: "list the devices libtorch can use and the one --device auto picks",
		Description: "Lists the CPU, every CUDA GPU and Apple's Metal (MPS) device as libtorch sees them,\n" +
			"with their memory, and says which device `auto` picks (MPS, then CUDA, then the CPU) and why.",
		Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: devicesCmd,
	})
}

// deviceJSON is one device in the --json output.
type deviceJSON struct {
	Device      string `json:"device"`
	Type        string `json:"type"`
	Index       int    `json:"index"`
	Name        string `json:"name"`
	TotalMemory int64  `json:"total_memory"` // bytes, 0 if unknown
	FreeMemory  int64  `json:"free_memory"`  // bytes, 0 if unknown
}

// devicesJSON is the --json output.
type devicesJSON struct {
	Libtorch   string       `json:"libtorch"`
	Devices    []deviceJSON `json:"devices"`
	Auto       string       `json:"auto"`
	AutoReason string       `json:"auto_reason"`
	Note       string       `json:"note,omitempty"`
}

func devicesCmd(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("devices takes no arguments")
	}
	v, err := torch.Versions()
	if err != nil {
		logLibraryDetail(err)
		return err
	}
	devs, err := torch.Devices()
	if err != nil {
		return fmt.Errorf("listing devices: %w", err)
	}
	auto, why, err := torch.AutoDevice()
	if err != nil {
		return fmt.Errorf("choosing a device: %w", err)
	}
	out := devicesJSON{Libtorch: v.Libtorch, Auto: auto.String(), AutoReason: why, Note: gpuNote(devs, v)}
	for _, d := range devs {
		out.Devices = append(out.Devices, deviceJSON{Device: d.Device.String(), Type: d.Device.Type.String(),
			Index: d.Device.Index, Name: d.Name, TotalMemory: d.TotalMemory, FreeMemory: d.FreeMemory})
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	printDevices(c.App.Writer, out)
	return nil
}

func printDevices(w io.Writer, out devicesJSON) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tNAME\tMEMORY")
	for _, d := range out.Devices {
		mem := "-"
		if d.TotalMemory > 0 {
			mem = fmt.Sprintf("%s free of %s", gib(d.FreeMemory), gib(d.TotalMemory))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Device, d.Name, mem)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nauto: %s (%s)\nlibtorch: %s\n", out.Auto, out.AutoReason, out.Libtorch)
	if out.Note != "" {
		fmt.Fprintf(w, "note: %s\n", out.Note)
	}
}

func gib(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// gpuNote explains a missing GPU inside a container, where the usual cause
// is that the container was started without access to it.
func gpuNote(devs []torch.DeviceInfo, v torch.VersionInfo) string {
	for _, d := range devs {
		if d.Device.Type != torch.CPU {
			return ""
		}
	}
	return host.ContainerGPUHint(v.HasCUDA())
}
