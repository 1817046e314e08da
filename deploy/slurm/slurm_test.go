// Package slurm holds the Slurm job array script of deploy/slurm and its
// test, which runs the script as sbatch would, with a stand-in for
// drumsplit.
package slurm

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runScript runs separate.sbatch in a temporary folder as array task id
// of an array up to max, with a drumsplit that prints its arguments; it
// returns the folder, the script's standard error and its exit code.
func runScript(t *testing.T, id, max string, env []string, args ...string) (dir, stderr string, code int) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script, err := filepath.Abs("separate.sbatch")
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	stub := filepath.Join(dir, "drumsplit-stub")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\necho \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, append([]string{script}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID="+id, "SLURM_ARRAY_TASK_MAX="+max, "SLURM_ARRAY_JOB_ID=77",
		"DRUMSPLIT=sh "+stub)
	cmd.Env = append(cmd.Env, env...)
	var errb strings.Builder
	cmd.Stderr = &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return dir, errb.String(), code
}

// TestArrayTask: task 3 of the default 8 shards runs separate --shard 3/8
// with --skip-existing and --json, the extra flags and the folders, and
// appends its event log to logs/drumsplit-3-of-8.json.
func TestArrayTask(t *testing.T) {
	dir, stderr, code := runScript(t, "3", "7", nil, "/cat alogue", "/out", "--stems", "kick,snare")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(filepath.Join(dir, "logs", "drumsplit-3-of-8.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := "separate --shard 3/8 --skip-existing --json --out /out --stems kick,snare /cat alogue\n"
	if string(got) != want {
		t.Errorf("drumsplit ran with\n%q, want\n%q", got, want)
	}
}

// TestArrayShards: DRUMSPLIT_SHARDS sets N; an array larger than N is
// refused before anything runs, as is a missing folder argument.
func TestArrayShards(t *testing.T) {
	dir, stderr, code := runScript(t, "12", "15", []string{"DRUMSPLIT_SHARDS=16"}, "in", "out")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "logs", "drumsplit-12-of-16.json")); !strings.HasPrefix(string(got), "separate --shard 12/16 ") {
		t.Errorf("DRUMSPLIT_SHARDS=16: ran %q", got)
	}
	if _, stderr, code := runScript(t, "3", "15", nil, "in", "out"); code != 2 || !strings.Contains(stderr, "DRUMSPLIT_SHARDS") {
		t.Errorf("array 0-15 with 8 shards: exit %d, %q; want 2 naming DRUMSPLIT_SHARDS", code, stderr)
	}
	if _, stderr, code := runScript(t, "0", "7", nil, "in"); code == 0 || !strings.Contains(stderr, "usage") {
		t.Errorf("no output folder: exit %d, %q", code, stderr)
	}
}
