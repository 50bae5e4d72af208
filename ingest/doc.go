// Package ingest turns video sources into timestamped, sampled frames. Each
// stream captures in its own goroutine, samples by presentation time to its
// analysis rate, and hands frames on through a bounded queue that drops the
// oldest frame rather than making capture wait for analysis.
package ingest
