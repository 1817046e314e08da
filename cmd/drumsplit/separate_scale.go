package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/drumsplit/drumsplit/internal/job"
	"github.com/drumsplit/drumsplit/torch"
)

// The flags of separate that spread a run over processes (--shard) and
// devices (a --device list); help/separate.txt says how.
var scaleFlags = []cli.Flag{
	&cli.StringFlag{Name: "shard", Usage: "separate only part `I/N` of the inputs (I from 0 to N-1; e.g. $JOB_COMPLETION_INDEX/4)"},
}

// parseShard checks --shard.
func parseShard(c *cli.Context) (job.Shard, error) {
	if !c.IsSet("shard") {
		return job.Shard{}, nil
	}
	s, err := job.ParseShard(c.String("shard"))
	if err != nil {
		return s, usagef("--shard %q: %v", c.String("shard"), err)
	}
	return s, nil
}

// parseDevices checks --device: one device, or a comma-separated list
// with one worker per entry ("cuda:0,cuda:1", "cpu,cpu"). A list of one
// is that device alone.
func parseDevices(flag string) ([]string, error) {
	var devs []string
	for _, d := range strings.Split(flag, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		if _, err := torch.ParseDevice(d); err != nil || (d == "auto" || d == "") && strings.Contains(flag, ",") {
			return nil, usagef("--device %q: want auto, cpu, cuda, cuda:N or mps, or a comma-separated list of them without auto (one worker each)", flag)
		}
		devs = append(devs, d)
	}
	return devs, nil
}
