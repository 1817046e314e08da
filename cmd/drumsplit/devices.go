package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/internal/job"
	"github.com/drumsplit/drumsplit/torch"
)

func init() {
	register(&cli.Command{
		Name:        "devices",
		Usage:       "list the devices libtorch can use and the one --device auto picks",
		Description: helpText("devices"),
		Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action:      devicesCmd,
	})
}

func devicesCmd(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("devices takes no arguments")
	}
	rep, err := torch.Report()
	if err != nil {
		logLibraryDetail(err)
		return err
	}
	out := devicesReport{DeviceReport: rep, AutoWorkers: []string{rep.Auto}}
	if auto, _, err := job.AutoDevices(); err == nil && len(auto) > 1 {
		out.AutoWorkers = auto
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if err := rep.WriteText(c.App.Writer); err != nil {
		return err
	}
	if len(out.AutoWorkers) > 1 {
		_, err = fmt.Fprintf(c.App.Writer, "separate --device auto: %s, one worker each\n", strings.Join(out.AutoWorkers, ", "))
	}
	return err
}

// devicesReport is the report with what separate's --device auto runs
// on: one worker per device listed (several CUDA devices), else auto's.
type devicesReport struct {
	*torch.DeviceReport
	AutoWorkers []string `json:"auto_workers"`
}
