// Command benchreport regenerates the matrix of BENCHMARKS.md and its chart,
// bench/rtf.svg, from every results file of `drumsplit bench` in
// bench/results. `make bench` and `make bench-report` run it:
//
//	go run ./internal/cmd/benchreport [-results DIR] [-markdown FILE] [-chart FILE]
//
// It is a developer's tool for this repository, and the only program that
// draws the chart: gonum/plot with its fonts, PDF and LaTeX support would
// add megabytes to the drumsplit binary for a picture in the documentation.
// `drumsplit bench report` writes the same markdown without drawing the
// chart, for GPU machines that have a drumsplit binary but no Go.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/drumsplit/drumsplit/internal/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command with its arguments and outputs, for tests; it
// returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	results := fs.String("results", filepath.Join("bench", "results"), "`DIR` of results files")
	markdown := fs.String("markdown", "BENCHMARKS.md", "markdown `FILE` whose generated section is replaced")
	chart := fs.String("chart", filepath.Join("bench", "rtf.svg"), "SVG `FILE` for the chart (\"\" for none)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: benchreport [-results DIR] [-markdown FILE] [-chart FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "benchreport: takes no arguments (got %q)\n", fs.Arg(0))
		return 2
	}
	if err := bench.WriteReport(*results, *markdown, *chart, Chart); err != nil {
		fmt.Fprintf(stderr, "benchreport: %v\n", err)
		return 1
	}
	if *chart != "" {
		fmt.Fprintf(stdout, "wrote %q and %q\n", *markdown, *chart)
	} else {
		fmt.Fprintf(stdout, "wrote %q\n", *markdown)
	}
	return 0
}
