// Package internal holds the daemon's private wiring.
package internal

// Version is set at build time with -ldflags "-X github.com/activityd/activityd/internal.Version=…".
var Version = "dev"
