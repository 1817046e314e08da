// Package interrupt stops a command's run the way Ctrl-C does on the
// signals that ask a process to end, so that the run can clean up (remove
// its temporary files, start no more inputs) and exit with the code a shell
// expects of a process the signal killed.
package interrupt

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// ExitInterrupted is the exit code after Ctrl-C or SIGTERM: 128 + SIGINT,
// as shells report a process killed by the signal.
const ExitInterrupted = 130

// stopSignals are the signals that stop a run the way Ctrl-C does: the
// current input's temporary files are removed, later inputs are not
// started, and the exit code is 128 + the signal's number (130 for
// SIGTERM too, as documented before SIGHUP, SIGQUIT and SIGPIPE were
// handled). SIGPIPE comes when standard output is a pipe whose reader has
// gone (`drumsplit separate --json … | head -1`); once it is caught, writes
// there fail instead of killing the process.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE}

// Signals cancels its context on the first of stopSignals. A second Ctrl-C
// (or SIGTERM, SIGHUP, SIGQUIT) kills the process as usual; SIGPIPE stays
// caught, so that a later write to the closed pipe cannot kill the process
// before it has cleaned up.
type Signals struct {
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal
	done   chan struct{}

	mu    sync.Mutex
	first os.Signal
}

// Catch starts catching stopSignals; the context of the Signals it returns
// is a child of parent, cancelled on the first of them. Stop ends it.
func Catch(parent context.Context) *Signals {
	s := &Signals{ch: make(chan os.Signal, len(stopSignals)), done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(parent)
	signal.Notify(s.ch, stopSignals...)
	go s.loop()
	return s
}

func (s *Signals) loop() {
	for {
		select {
		case <-s.done:
			return
		case sig := <-s.ch:
			s.mu.Lock()
			if s.first == nil {
				s.first = sig
			}
			s.mu.Unlock()
			s.cancel()
			if sig != syscall.SIGPIPE {
				signal.Reset(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
			}
		}
	}
}

// Context is cancelled when a stop signal comes (or Stop is called).
func (s *Signals) Context() context.Context { return s.ctx }

// ExitCode is the exit code for the signal that stopped the run: 128 + the
// signal's number, ExitInterrupted for SIGTERM (or no signal).
func (s *Signals) ExitCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.first.(syscall.Signal); ok && s.first != syscall.SIGTERM {
		return 128 + int(n)
	}
	return ExitInterrupted
}

// Stop stops catching the signals; SIGPIPE stays ignored, as whatever the
// command still writes must not kill it.
func (s *Signals) Stop() {
	signal.Stop(s.ch)
	signal.Ignore(syscall.SIGPIPE)
	close(s.done)
	s.cancel()
}
