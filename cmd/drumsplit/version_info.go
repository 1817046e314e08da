package main

// Version is drumsplit's version; release builds set it with
// -ldflags "-X main.Version=…", and Commit likewise.
var (
	Version = "0.1.0-dev"
	Commit  = "unknown"
)
