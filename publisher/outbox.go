package publisher

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ErrOutbox wraps failures to read or write the outbox directory.
var ErrOutbox = errors.New("publisher: outbox")

// Record is one durable message waiting to be sent to JetStream.
type Record struct {
	Subject string            `json:"subject"`
	MsgID   string            `json:"msg_id"`
	Header  map[string]string `json:"header"`
	Data    json.RawMessage   `json:"data"`
}

// Outbox is a bounded FIFO of records on disk: one file per record, named
// by a sequence number, written to a temporary name, synced and renamed, so
// that a crash leaves either the whole record or none. Records survive a
// restart and come out in the order they went in. When a bound would be
// exceeded the oldest records are dropped and counted. It is safe for
// concurrent use.
type Outbox struct {
	dir      string
	maxMsgs  int
	maxBytes int64

	mu      sync.Mutex
	seqs    []uint64 // ascending
	sizes   map[uint64]int64
	bytes   int64
	next    uint64
	dropped uint64
	notify  chan struct{}
}

const outboxExt = ".msg"

// OpenOutbox opens (creating it if needed) the outbox in dir and loads what
// an earlier run left there.
func OpenOutbox(dir string, maxMsgs int, maxBytes int64) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutbox, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutbox, err)
	}
	o := &Outbox{dir: dir, maxMsgs: maxMsgs, maxBytes: maxBytes, sizes: map[uint64]int64{},
		next: 1, notify: make(chan struct{}, 1)}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			// Killed between writing and renaming: keep the record if it
			// is whole, drop a write cut short.
			tmp := filepath.Join(dir, name)
			data, err := os.ReadFile(tmp)
			var r Record
			if err == nil && json.Unmarshal(data, &r) == nil && r.Subject != "" {
				final := strings.TrimSuffix(name, ".tmp")
				if os.Rename(tmp, filepath.Join(dir, final)) == nil {
					name = final
					goto load
				}
			}
			_ = os.Remove(tmp)
			continue
		}
	load:
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, outboxExt), 10, 64)
		if err != nil || !strings.HasSuffix(name, outboxExt) {
			continue
		}
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		o.seqs = append(o.seqs, seq)
		o.sizes[seq] = info.Size()
		o.bytes += info.Size()
		if seq >= o.next {
			o.next = seq + 1
		}
	}
	sort.Slice(o.seqs, func(i, j int) bool { return o.seqs[i] < o.seqs[j] })
	if len(o.seqs) > 0 {
		o.signal()
	}
	return o, nil
}

func (o *Outbox) path(seq uint64) string {
	return filepath.Join(o.dir, fmt.Sprintf("%020d%s", seq, outboxExt))
}

func (o *Outbox) signal() {
	select {
	case o.notify <- struct{}{}:
	default:
	}
}

// Ready is signalled when records are appended.
func (o *Outbox) Ready() <-chan struct{} { return o.notify }

// Append stores r durably at the end of the outbox. It returns how many of
// the oldest records it dropped to stay within the bounds.
func (o *Outbox) Append(r Record) (dropped int, err error) {
	data, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("%w: encode: %w", ErrOutbox, err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	seq := o.next
	o.next++
	p := o.path(seq)
	if err := writeSynced(p+".tmp", data); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrOutbox, err)
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrOutbox, err)
	}
	o.seqs = append(o.seqs, seq)
	o.sizes[seq] = int64(len(data))
	o.bytes += int64(len(data))
	for len(o.seqs) > 1 && (len(o.seqs) > o.maxMsgs || o.bytes > o.maxBytes) {
		o.removeLocked(o.seqs[0])
		o.dropped++
		dropped++
	}
	o.signal()
	return dropped, nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Peek returns the oldest record and its sequence number; ok is false when
// the outbox is empty. A record that cannot be read is dropped and counted.
func (o *Outbox) Peek() (seq uint64, r Record, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for len(o.seqs) > 0 {
		seq = o.seqs[0]
		data, err := os.ReadFile(o.path(seq))
		if err == nil {
			if err = json.Unmarshal(data, &r); err == nil {
				return seq, r, true
			}
		}
		o.removeLocked(seq)
		o.dropped++
	}
	return 0, Record{}, false
}

// Remove deletes the record seq once it has been sent.
func (o *Outbox) Remove(seq uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.removeLocked(seq)
}

func (o *Outbox) removeLocked(seq uint64) {
	i := sort.Search(len(o.seqs), func(i int) bool { return o.seqs[i] >= seq })
	if i == len(o.seqs) || o.seqs[i] != seq {
		return
	}
	o.seqs = append(o.seqs[:i], o.seqs[i+1:]...)
	o.bytes -= o.sizes[seq]
	delete(o.sizes, seq)
	_ = os.Remove(o.path(seq))
}

// Len returns the number of records waiting.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.seqs)
}

// Dropped returns how many records were dropped since the outbox opened.
func (o *Outbox) Dropped() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dropped
}
