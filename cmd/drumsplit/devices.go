package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

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

func devicesCmd(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("devices takes no arguments")
	}
	out, err := torch.Report()
	if err != nil {
		logLibraryDetail(err)
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	printDevices(c.App.Writer, out)
	return nil
}

// printDevices writes the report as a table and lines.
func printDevices(w io.Writer, out *torch.DeviceReport) {
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
