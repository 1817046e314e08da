//go:build unix

package interrupt

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// TestCatch: a stop signal cancels the context and gives 128 + its
// number; SIGTERM gives 130 like Ctrl-C, as documented.
func TestCatch(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
	}{
		// SIGPIPE first: Stop leaves it ignored, and a later Catch in the
		// same process does not get it back (a command catches once).
		{syscall.SIGPIPE, 141},
		{syscall.SIGHUP, 129},
		{syscall.SIGTERM, ExitInterrupted},
	} {
		s := Catch(context.Background())
		if err := syscall.Kill(syscall.Getpid(), tc.sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.Context().Done(): // the process is still here: the signal was caught
		case <-time.After(time.Minute):
			t.Fatalf("%v: the context was not cancelled", tc.sig)
		}
		if got := s.ExitCode(); got != tc.want {
			t.Errorf("%v: exit code %d, want %d", tc.sig, got, tc.want)
		}
		s.Stop()
	}
}

// TestStop: Stop cancels the context; no signal came, so the exit code is
// that of an interrupt.
func TestStop(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := Catch(parent)
	s.Stop()
	if s.Context().Err() == nil {
		t.Error("context not cancelled by Stop")
	}
	if parent.Err() != nil {
		t.Error("Stop cancelled the parent")
	}
	if got := s.ExitCode(); got != ExitInterrupted {
		t.Errorf("exit code %d, want %d", got, ExitInterrupted)
	}
}
