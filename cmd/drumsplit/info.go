package main

import (
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/model"
)

func init() {
	register(&cli.Command{
		Name:        "info",
		Usage:       "print the metadata of an exported model",
		ArgsUsage:   "MODEL",
		Description: helpText("info"),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the metadata as JSON"},
		},
		Action: infoCmd,
	})
}

func infoCmd(c *cli.Context) error {
	// urfave/cli stops at the first argument, so also accept the documented
	// `info MODEL --json` order.
	asJSON := c.Bool("json")
	var args []string
	for _, a := range c.Args().Slice() {
		switch {
		case a == "--json" || a == "-json":
			asJSON = true
		case strings.HasPrefix(a, "-") && a != "-":
			return usagef("info: unknown flag %s", a)
		default:
			args = append(args, a)
		}
	}
	if len(args) != 1 {
		return usagef("info needs one MODEL argument")
	}
	path := args[0]
	info, err := model.ReadInfo(path)
	if err != nil {
		return err
	}
	w := c.App.Writer
	if asJSON {
		raw := info.Raw
		if len(raw) > 0 && raw[len(raw)-1] != '\n' {
			raw = append(raw, '\n')
		}
		_, err := w.Write(raw)
		return err
	}
	size := int64(-1)
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
	}
	return info.WriteText(w, size)
}
