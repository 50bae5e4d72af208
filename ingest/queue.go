package ingest

import (
	"context"
	"errors"
	"sync"
)

// ErrQueueClosed is returned by Get once the queue is closed and empty.
var ErrQueueClosed = errors.New("ingest: queue closed")

// Queue is a bounded frame queue between capture and analysis. Put never
// blocks: when the queue is full the oldest frame is dropped (its Mat closed)
// and counted. Get blocks until a frame, Close, or the context.
type Queue struct {
	mu      sync.Mutex
	buf     []Frame // ring
	head, n int
	closed  bool
	dropped uint64
	ready   chan struct{} // holds one token while frames are queued
	space   chan struct{} // holds one token after a frame left the queue
}

// NewQueue returns a queue holding at most size frames (at least 1).
func NewQueue(size int) *Queue {
	if size < 1 {
		size = 1
	}
	return &Queue{buf: make([]Frame, size), ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// Put enqueues f, dropping the oldest frame when full. It reports whether a
// frame was dropped. After Close, f itself is dropped.
func (q *Queue) Put(f Frame) (dropped bool) {
	q.mu.Lock()
	if q.closed {
		q.dropped++
		q.mu.Unlock()
		f.Close()
		return true
	}
	var old Frame
	if q.n == len(q.buf) {
		old = q.buf[q.head]
		q.buf[q.head] = Frame{}
		q.head = (q.head + 1) % len(q.buf)
		q.n--
		q.dropped++
		dropped = true
	}
	q.buf[(q.head+q.n)%len(q.buf)] = f
	q.n++
	q.mu.Unlock()
	if dropped {
		old.Close()
	}
	q.signal()
	return dropped
}

// PutWait enqueues f, waiting while the queue is full: for sources that must
// not lose frames (a file read as fast as analysis goes). It is meant for a
// single producer. On error (queue closed, ctx done) f is closed.
func (q *Queue) PutWait(ctx context.Context, f Frame) error {
	for {
		q.mu.Lock()
		if q.closed {
			q.dropped++
			q.mu.Unlock()
			f.Close()
			return ErrQueueClosed
		}
		if q.n < len(q.buf) {
			q.buf[(q.head+q.n)%len(q.buf)] = f
			q.n++
			q.mu.Unlock()
			q.signal()
			return nil
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-ctx.Done():
			f.Close()
			return ctx.Err()
		}
	}
}

func (q *Queue) freed() {
	select {
	case q.space <- struct{}{}:
	default:
	}
}

func (q *Queue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Get returns the oldest queued frame. It returns ErrQueueClosed once the
// queue is closed and drained, or the context's error.
func (q *Queue) Get(ctx context.Context) (Frame, error) {
	for {
		q.mu.Lock()
		if q.n > 0 {
			f := q.buf[q.head]
			q.buf[q.head] = Frame{}
			q.head = (q.head + 1) % len(q.buf)
			q.n--
			more := q.n > 0 || q.closed
			q.mu.Unlock()
			if more {
				q.signal()
			}
			q.freed()
			return f, nil
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			q.signal()
			return Frame{}, ErrQueueClosed
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return Frame{}, ctx.Err()
		}
	}
}

// Close stops the queue accepting frames; queued frames can still be read.
func (q *Queue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
	q.freed()
}

// Discard closes the queue and every frame still in it.
func (q *Queue) Discard() {
	q.mu.Lock()
	q.closed = true
	var rest []Frame
	for q.n > 0 {
		rest = append(rest, q.buf[q.head])
		q.buf[q.head] = Frame{}
		q.head = (q.head + 1) % len(q.buf)
		q.n--
	}
	q.mu.Unlock()
	for i := range rest {
		rest[i].Close()
	}
	q.signal()
	q.freed()
}

// Dropped returns how many frames were dropped so far.
func (q *Queue) Dropped() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// Len returns the number of queued frames.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
