package main

import (
	"encoding/json"

	"github.com/urfave/cli/v2"

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
	return out.WriteText(c.App.Writer)
}
