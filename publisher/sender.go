package publisher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// run is the one goroutine that talks to JetStream: on every (re)connection
// it creates or updates the stream and the KV bucket, then sends the
// outbox oldest first, each record acknowledged before the next, and
// writes pending KV values. It stops after Close, once the outbox is empty,
// NATS is unreachable or the close deadline has passed.
func (p *Publisher) run() {
	defer close(p.done)
	var (
		setupEpoch = ^uint64(0) // no setup yet
		kv         jetstream.KeyValue
		backoff    = 100 * time.Millisecond
		lastWarn   time.Time
		kvTried    time.Time
	)
	warn := func(msg string, err error) {
		if time.Since(lastWarn) > 5*time.Second {
			p.log.Warn(msg, zap.Error(err))
			lastWarn = time.Now()
		}
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		closing := false
		select {
		case <-p.closing:
			closing = true
		default:
		}
		connected := p.nc.IsConnected()
		if closing && (!connected || time.Now().UnixNano() > p.deadline.Load() || p.idle()) {
			return
		}
		if !connected {
			if err := p.nc.LastError(); isAuthErr(err) {
				p.authRefused(err)
			}
			p.wait(tick.C, nil, nil)
			continue
		}
		if ep := p.epoch.Load(); ep != setupEpoch {
			if err := p.setupStream(); err != nil {
				warn("jetstream setup failed; retrying", err)
				p.wait(time.After(backoff), nil, nil)
				continue
			}
			setupEpoch, kv, kvTried = ep, nil, time.Time{}
		}
		if kv == nil && p.cfg.KVBucket != "" && time.Since(kvTried) > 10*time.Second {
			// The KV bucket is a convenience: without it events and clips
			// still flow, and its creation is retried now and then.
			kvTried = time.Now()
			var err error
			if kv, err = p.setupKV(); err != nil {
				p.log.Warn("kv bucket setup failed; retrying in 10s", zap.String("bucket", p.cfg.KVBucket), zap.Error(err))
			}
		}
		progress, err := p.sendOldest()
		if err != nil {
			if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, jetstream.ErrStreamNotFound) {
				setupEpoch = ^uint64(0) // the stream is gone: create it again
			}
			warn("jetstream publish failed; retrying", err)
			p.wait(time.After(backoff), nil, nil)
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if progress {
			continue
		}
		if err := p.flushKV(kv); err != nil {
			warn("kv update failed; retrying", err)
			kv = nil // set up again after a pause; events and clips go on
			continue
		}
		if closing {
			return
		}
		var ready <-chan struct{}
		if p.outbox != nil {
			ready = p.outbox.Ready()
		}
		p.wait(nil, ready, p.kvReady)
	}
}

// wait blocks until one of the channels fires, Close is called, or a second
// passes.
func (p *Publisher) wait(a <-chan time.Time, b, c <-chan struct{}) {
	select {
	case <-a:
	case <-b:
	case <-c:
	case <-p.closing:
		// one more pass decides whether to stop
		time.Sleep(10 * time.Millisecond)
	case <-time.After(time.Second):
	}
}

// idle reports whether nothing is waiting to be sent.
func (p *Publisher) idle() bool {
	p.kvMu.Lock()
	n := len(p.kvPending)
	p.kvMu.Unlock()
	return n == 0 && (p.outbox == nil || p.outbox.Len() == 0)
}

// setupStream creates or updates the JetStream stream.
func (p *Publisher) setupStream() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sc := jetstream.StreamConfig{
		Name:        p.cfg.Stream,
		Description: "activityd events and clips",
		Subjects:    []string{p.prefix + ".*." + KindEvent, p.prefix + ".*." + KindClip},
		Retention:   retention(p.cfg.Retention),
		Storage:     jetstream.FileStorage,
		MaxAge:      p.cfg.MaxAge,
		MaxBytes:    -1,
		Duplicates:  p.cfg.Duplicates,
	}
	if p.cfg.MaxBytes > 0 {
		sc.MaxBytes = p.cfg.MaxBytes
	}
	if _, err := p.js.CreateOrUpdateStream(ctx, sc); err != nil {
		return fmt.Errorf("stream %s: %w", p.cfg.Stream, err)
	}
	return nil
}

// setupKV creates or updates the KV bucket.
func (p *Publisher) setupKV() (jetstream.KeyValue, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := p.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: p.cfg.KVBucket,
		Description: "activityd current label and source state per stream", History: 1,
		Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("kv bucket %s: %w", p.cfg.KVBucket, err)
	}
	return kv, nil
}

func retention(s string) jetstream.RetentionPolicy {
	switch s {
	case "interest":
		return jetstream.InterestPolicy
	case "workqueue":
		return jetstream.WorkQueuePolicy
	}
	return jetstream.LimitsPolicy
}

// sendOldest sends the oldest outbox record; progress is false when the
// outbox is empty.
func (p *Publisher) sendOldest() (progress bool, err error) {
	if p.outbox == nil {
		return false, nil
	}
	seq, rec, ok := p.outbox.Peek()
	if !ok {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.send(ctx, rec); err != nil {
		return false, err
	}
	p.outbox.Remove(seq)
	p.metrics.outboxLen.Set(float64(p.outbox.Len()))
	return true, nil
}

func (p *Publisher) flushKV(kv jetstream.KeyValue) error {
	if kv == nil {
		return nil
	}
	p.kvMu.Lock()
	pending := make([]Current, 0, len(p.kvPending))
	for _, c := range p.kvPending {
		pending = append(pending, c)
	}
	p.kvMu.Unlock()
	for _, c := range pending {
		data, err := json.Marshal(c)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = kv.Put(ctx, c.Stream, data)
		cancel()
		if err != nil {
			return err
		}
		p.kvMu.Lock()
		if cur, ok := p.kvPending[c.Stream]; ok && cur == c {
			delete(p.kvPending, c.Stream)
		}
		p.kvMu.Unlock()
	}
	return nil
}
