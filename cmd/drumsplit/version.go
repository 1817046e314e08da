package main

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/torch"
)

func init() {
	register(&cli.Command{
		Name:   "version",
		Usage:  "print the versions of drumsplit, its native library and libtorch",
		Action: versionCmd,
	})
}

// versionCmd works without libtorch: it reports a missing native library
// instead of failing, since "which version is this" is asked most often
// when something is broken.
func versionCmd(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("version takes no arguments")
	}
	w := c.App.Writer
	fmt.Fprintf(w, "drumsplit %s (commit %s, %s, %s/%s)\n", Version, Commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	v, err := torch.Versions()
	if err != nil {
		logLibraryDetail(err)
		fmt.Fprintf(w, "native library: not found (%s)\n", strings.TrimPrefix(err.Error(), "native library not found: "))
		return nil
	}
	fmt.Fprintf(w, "native library: %s (C ABI %d) at %s\n", v.Library, v.ABI, v.Path)
	fmt.Fprintf(w, "libtorch: %s\n", v.Libtorch)
	return nil
}

// logLibraryDetail logs, at debug level (-v), what the dynamic loader said
// when the native library could not be opened; users see one line only.
func logLibraryDetail(err error) {
	var le *torch.LibraryError
	if errors.As(err, &le) && le.Detail != "" {
		logf(slog.LevelDebug, "loader: %s", le.Detail)
	}
}
