package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// exitInterrupted is the exit code after Ctrl-C or SIGTERM: 128 + SIGINT,
// as shells report a process killed by the signal.
const exitInterrupted = 130

// stopSignals are the signals that stop a run the way Ctrl-C does: the
// current input's temporary files are removed, later inputs are not
// started, and the exit code is 128 + the signal's number (130 for
// SIGTERM too, as documented before SIGHUP, SIGQUIT and SIGPIPE were
// handled). SIGPIPE comes when standard output is a pipe whose reader has
// gone (`drumsplit separate --json … | head -1`); once it is caught, writes
// there fail instead of killing the process.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE}

// signals cancels its context on the first of stopSignals. A second Ctrl-C
// (or SIGTERM, SIGHUP, SIGQUIT) kills the process as usual; SIGPIPE stays
// caught, so that a later write to the closed pipe cannot kill the process
// before it has cleaned up.
type signals struct {
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal
	done   chan struct{}

	mu    sync.Mutex
	first os.Signal
}

func catchSignals(parent context.Context) *signals {
	s := &signals{ch: make(chan os.Signal, len(stopSignals)), done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(parent)
	signal.Notify(s.ch, stopSignals...)
	go s.loop()
	return s
}

func (s *signals) loop() {
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

// exitCode is the exit code for the signal that stopped the run.
func (s *signals) exitCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.first.(syscall.Signal); ok && s.first != syscall.SIGTERM {
		return 128 + int(n)
	}
	return exitInterrupted
}

// stop stops catching the signals; SIGPIPE stays ignored, as whatever the
// command still writes must not kill it.
func (s *signals) stop() {
	signal.Stop(s.ch)
	signal.Ignore(syscall.SIGPIPE)
	close(s.done)
	s.cancel()
}
