//go:build !unix

package job

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs") }
