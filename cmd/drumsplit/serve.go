package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/internal/interrupt"
	"github.com/drumsplit/drumsplit/internal/job"
	"github.com/drumsplit/drumsplit/internal/serve"
	"github.com/drumsplit/drumsplit/internal/tracks"
)

func init() {
	register(&cli.Command{
		Name:            "serve",
		Usage:           "run a web app to separate files from a browser",
		Description:     helpText("serve"),
		HideHelpCommand: true,
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usagef("%v", err)
		},
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen on `HOST:PORT`"},
			&cli.StringFlag{Name: "data", DefaultText: "a temporary folder", Usage: "keep jobs in `DIR`, across restarts"},
			&cli.StringFlag{Name: "max-upload", Value: "1GB", Usage: "largest upload `SIZE`"},
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, DefaultText: "the bundled model", Usage: "exported model `PATH`"},
		}, engineFlags("`DEVICE`: auto, cpu, cuda, cuda:N or mps (one that is missing falls back with a warning)")...),
		Action: serveCmd,
	})
}

func serveCmd(c *cli.Context) error {
	sig := interrupt.Catch(c.Context)
	defer sig.Stop()
	if c.Args().Present() {
		return usagef("serve takes no arguments (got %q): files are uploaded from the page", c.Args().First())
	}
	limit, err := serve.ParseSize(c.String("max-upload"))
	if err != nil {
		return usagef("--max-upload: %v", err)
	}
	opts, err := separatorOptions(c)
	if err != nil {
		return err
	}
	modelPath, err := findModel(c.String("model"))
	if err != nil {
		return err
	}
	info, err := readModel(modelPath)
	if err != nil {
		return err
	}
	if o := opts.Overlap; o > info.ChunkSize {
		return usagef("--overlap %d: more than the %d samples of the model's chunk", o, info.ChunkSize)
	}

	ln, err := net.Listen("tcp", c.String("addr"))
	if err != nil {
		return fmt.Errorf("cannot listen on %q: %w", c.String("addr"), err)
	}
	defer ln.Close()
	if ip, ok := ln.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
		logf(slog.LevelWarn, "listening on %s: anyone who can reach this machine can upload files and run jobs (--addr 127.0.0.1:8080 keeps it to this machine)", ln.Addr())
	}
	data := c.String("data")
	if data == "" {
		if data, err = os.MkdirTemp("", "drumsplit-serve-"); err != nil {
			return err
		}
		defer os.RemoveAll(data)
	}

	opts.Info, opts.Logger = info, logger
	m, err := job.Open(modelPath, opts)
	if err != nil {
		return fmt.Errorf("model %q: %w", modelPath, err)
	}
	defer m.Close()
	name := info.Name
	if name == "" {
		name = tracks.TrackName(modelPath)
	}
	srv, err := serve.New(serve.Config{Data: data, MaxUpload: limit, Separator: m, ModelName: name, Logger: logger})
	if err != nil {
		return err
	}
	if !anyBool(c, "quiet") {
		printLine(fmt.Sprintf("drumsplit: serving on http://%s/ with model %q on %s (Ctrl-C stops)", ln.Addr(), name, m.Device()))
	}
	err = srv.Serve(sig.Context(), ln)
	if errors.Is(err, serve.ErrJobRunning) {
		// The separator is still busy in libtorch: closing the model
		// under it could crash, so the process ends here, model open.
		if c.String("data") == "" {
			os.RemoveAll(data)
		}
		printLine("drumsplit: " + errorLine("", err) + "; stopped anyway")
		os.Exit(exitFailed)
	}
	if err != nil {
		return err
	}
	logf(slog.LevelInfo, "stopped")
	return nil
}
