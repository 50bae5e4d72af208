package ingest

import (
	"math/rand/v2"
	"time"
)

// Default reconnect settings.
const (
	DefaultBackoffMin  = 500 * time.Millisecond
	DefaultBackoffMax  = 30 * time.Second
	DefaultStableAfter = time.Minute
	DefaultOpenTimeout = 5 * time.Second
	DefaultReadTimeout = 5 * time.Second
)

// backoff is capped exponential backoff with jitter: the n-th delay is drawn
// from [d/2, d] with d = min(max, min·2ⁿ), so it never exceeds the cap.
type backoff struct {
	min, max time.Duration
	n        int
}

func (b *backoff) next() time.Duration {
	d := b.max
	if b.n < 32 {
		if e := b.min << b.n; e > 0 && e < b.max {
			d = e
		}
	}
	b.n++
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

func (b *backoff) reset() { b.n = 0 }
