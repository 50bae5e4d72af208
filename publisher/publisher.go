package publisher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// ErrConnect wraps failures to reach NATS.
var ErrConnect = errors.New("publisher: cannot connect to NATS")

// ErrClosed is returned by publishes after Close.
var ErrClosed = errors.New("publisher: closed")

// Config says where and how to publish.
type Config struct {
	// URL lists one or more servers, comma-separated.
	URL string
	// Name is the connection name the server shows.
	Name string
	// Prefix starts every subject.
	Prefix string
	// Auth holds the credentials and TLS files.
	Auth Auth

	// Stream is the JetStream stream that keeps events and clips
	// (default ACTIVITY); Retention is limits, interest or workqueue.
	Stream     string
	Retention  string
	MaxAge     time.Duration
	MaxBytes   int64
	Duplicates time.Duration
	// KVBucket holds each stream's current state ("" disables it).
	KVBucket string

	// OutboxDir holds events and clips not yet acknowledged by JetStream.
	// Empty keeps no outbox: durable messages are then sent directly and
	// lost if NATS is unreachable.
	OutboxDir         string
	OutboxMaxMessages int
	OutboxMaxBytes    int64

	// Metrics receives the publisher's series (nil: none registered).
	Metrics *Metrics
}

// Publisher sends messages over one NATS connection: frames and states on
// core NATS, events and clips through the on-disk outbox to JetStream in
// order, current states to the KV bucket. It is safe for concurrent use.
type Publisher struct {
	cfg     Config
	nc      *nats.Conn
	js      jetstream.JetStream
	prefix  string
	log     *zap.Logger
	outbox  *Outbox
	metrics *Metrics

	epoch      atomic.Uint64 // counts (re)connections
	authFailed atomic.Bool   // the last attempt was refused and logged

	kvMu      sync.Mutex
	kvPending map[string]Current
	kvReady   chan struct{}

	closing  chan struct{}
	deadline atomic.Int64 // unix nanoseconds to stop flushing at close
	done     chan struct{}
	closed   atomic.Bool
}

// Connect starts connecting to NATS and returns at once: the connection is
// retried forever with jittered backoff, also when the server refuses the
// credentials (logged once per episode, never with the secret). Events and
// clips wait in the outbox until JetStream acknowledges them. Use
// WaitConnected to wait for the first connection. ctx is not used: nothing
// here blocks.
func Connect(_ context.Context, cfg Config, log *zap.Logger) (*Publisher, error) {
	if cfg.Stream == "" {
		cfg.Stream = "ACTIVITY"
	}
	if cfg.Duplicates <= 0 {
		cfg.Duplicates = 10 * time.Minute
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	authOpts, err := cfg.Auth.options()
	if err != nil {
		return nil, err
	}
	p := &Publisher{cfg: cfg, prefix: cfg.Prefix, log: log, metrics: cfg.Metrics,
		kvPending: map[string]Current{}, kvReady: make(chan struct{}, 1),
		closing: make(chan struct{}), done: make(chan struct{})}
	if cfg.OutboxDir != "" {
		if cfg.OutboxMaxMessages <= 0 {
			cfg.OutboxMaxMessages = 100000
		}
		if cfg.OutboxMaxBytes <= 0 {
			cfg.OutboxMaxBytes = 256 << 20
		}
		p.outbox, err = OpenOutbox(cfg.OutboxDir, cfg.OutboxMaxMessages, cfg.OutboxMaxBytes)
		if err != nil {
			return nil, err
		}
		if n := p.outbox.Len(); n > 0 {
			log.Info("outbox holds messages from an earlier run", zap.Int("messages", n))
		}
		p.metrics.outboxLen.Set(float64(p.outbox.Len()))
	}
	opts := append(authOpts,
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.RetryOnFailedConnect(true),
		nats.IgnoreAuthErrorAbort(),
		nats.ConnectHandler(func(nc *nats.Conn) { p.connected(nc, "nats connected") }),
		nats.ReconnectHandler(func(nc *nats.Conn) { p.connected(nc, "nats reconnected") }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", zap.Error(err))
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if isAuthErr(err) {
				p.authRefused(err)
				return
			}
			log.Warn("nats error", zap.Error(err))
		}),
	)
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrConnect, redactURLs(cfg.URL), err)
	}
	p.nc = nc
	p.js, err = jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("%w: %w", ErrConnect, err)
	}
	go p.run()
	return p, nil
}

func (p *Publisher) connected(nc *nats.Conn, msg string) {
	p.epoch.Add(1)
	p.authFailed.Store(false)
	p.log.Info(msg, zap.String("server", nc.ConnectedUrlRedacted()))
}

// authRefused logs a refused authentication once until the next success.
func (p *Publisher) authRefused(err error) {
	if p.authFailed.Swap(true) {
		return
	}
	p.log.Error("nats refused authentication; retrying", zap.String("servers", redactURLs(p.cfg.URL)),
		zap.String("auth", p.cfg.Auth.String()), zap.Error(err))
}

// WaitConnected waits for a connection. When ctx ends first it returns
// ErrAuth if the server refused the credentials, else ErrConnect.
func (p *Publisher) WaitConnected(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !p.nc.IsConnected() {
		select {
		case <-ctx.Done():
			if p.authFailed.Load() || isAuthErr(p.nc.LastError()) {
				return fmt.Errorf("%w (%s) at %s", ErrAuth, p.cfg.Auth, redactURLs(p.cfg.URL))
			}
			return fmt.Errorf("%w %s: %w", ErrConnect, redactURLs(p.cfg.URL), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Conn returns the underlying connection.
func (p *Publisher) Conn() *nats.Conn { return p.nc }

// Prefix returns the subject prefix.
func (p *Publisher) Prefix() string { return p.prefix }

// Outbox returns the outbox (nil without one).
func (p *Publisher) Outbox() *Outbox { return p.outbox }

// Frame publishes one frame label on core NATS. While disconnected the
// frame is dropped and counted.
func (p *Publisher) Frame(m *FrameMsg) error {
	if !p.nc.IsConnected() {
		p.metrics.framesDropped.WithLabelValues(m.Stream).Inc()
		return nil
	}
	return p.publish(Subject(p.prefix, m.Stream, KindFrame), m.Stream, m.Model, m)
}

// Status publishes a source state change on core NATS.
func (p *Publisher) Status(m *StatusMsg, model string) error {
	return p.publish(Subject(p.prefix, m.Stream, KindStatus), m.Stream, model, m)
}

// Event stores an event in the outbox, from which it reaches JetStream in
// order with Nats-Msg-Id set for dedupe.
func (p *Publisher) Event(m *EventMsg) error {
	return p.durable(Subject(p.prefix, m.Stream, KindEvent), m.MsgID(), m.Stream, m.Model, m)
}

// Clip stores a window label in the outbox like Event.
func (p *Publisher) Clip(m *ClipMsg) error {
	id := fmt.Sprintf("%s-clip-%d-%d", m.Stream, m.StartTS.UnixNano(), m.Seq)
	return p.durable(Subject(p.prefix, m.Stream, KindClip), id, m.Stream, m.Model, m)
}

// SetCurrent records a stream's current state for the KV bucket; the
// latest value per stream is written when NATS is reachable.
func (p *Publisher) SetCurrent(c Current) {
	if p.cfg.KVBucket == "" {
		return
	}
	p.kvMu.Lock()
	p.kvPending[c.Stream] = c
	p.kvMu.Unlock()
	select {
	case p.kvReady <- struct{}{}:
	default:
	}
}

func (p *Publisher) durable(subject, msgID, stream, model string, v any) error {
	if p.closed.Load() {
		return ErrClosed
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("publisher: encode %s: %w", subject, err)
	}
	rec := Record{Subject: subject, MsgID: msgID, Data: data,
		Header: map[string]string{HeaderStream: stream, HeaderModel: model}}
	if p.outbox == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return p.send(ctx, rec)
	}
	dropped, err := p.outbox.Append(rec)
	if dropped > 0 {
		p.metrics.outboxDropped.Add(float64(dropped))
		p.log.Warn("outbox full; oldest messages dropped", zap.Int("dropped", dropped))
	}
	p.metrics.outboxLen.Set(float64(p.outbox.Len()))
	return err
}

func (p *Publisher) publish(subject, stream, model string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("publisher: encode %s: %w", subject, err)
	}
	msg := nats.NewMsg(subject)
	msg.Data = data
	msg.Header.Set(HeaderStream, stream)
	msg.Header.Set(HeaderModel, model)
	if err := p.nc.PublishMsg(msg); err != nil {
		return err
	}
	p.metrics.messages.WithLabelValues(subject[strings.LastIndexByte(subject, '.')+1:]).Inc()
	return nil
}

// send publishes one record to JetStream and waits for the ack.
func (p *Publisher) send(ctx context.Context, r Record) error {
	msg := nats.NewMsg(r.Subject)
	msg.Data = r.Data
	for k, v := range r.Header {
		msg.Header.Set(k, v)
	}
	_, err := p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(r.MsgID))
	if err != nil {
		return err
	}
	kind := r.Subject[strings.LastIndexByte(r.Subject, '.')+1:]
	p.metrics.durable.WithLabelValues(kind).Inc()
	p.metrics.messages.WithLabelValues(kind).Inc()
	return nil
}

// Close sends what the outbox holds while NATS is reachable, bounded by
// timeout (the rest stays on disk for the next start), then drains the
// connection so that everything published reaches the server.
func (p *Publisher) Close(timeout time.Duration) error {
	if p.closed.Swap(true) {
		return nil
	}
	p.deadline.Store(time.Now().Add(timeout).UnixNano())
	close(p.closing)
	select {
	case <-p.done:
	case <-time.After(timeout + time.Second):
	}
	if p.outbox != nil && p.outbox.Len() > 0 {
		p.log.Warn("outbox not empty at shutdown; it is sent at the next start", zap.Int("messages", p.outbox.Len()))
	}
	closed := make(chan struct{})
	p.nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if !p.nc.IsConnected() {
		p.nc.Close()
		return nil
	}
	if err := p.nc.Drain(); err != nil {
		p.nc.Close()
		return nil
	}
	select {
	case <-closed:
	case <-time.After(timeout):
		p.nc.Close()
		return errors.New("publisher: drain timed out")
	}
	return nil
}
