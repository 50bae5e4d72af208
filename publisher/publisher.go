package publisher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// ErrConnect wraps failures to reach NATS at start.
var ErrConnect = errors.New("publisher: cannot connect to NATS")

// Config says where and how to publish.
type Config struct {
	// URL lists one or more servers, comma-separated.
	URL string
	// Name is the connection name the server shows.
	Name string
	// Prefix starts every subject.
	Prefix string
}

// Publisher sends messages over one NATS connection. It is safe for
// concurrent use.
type Publisher struct {
	nc     *nats.Conn
	prefix string
	log    *zap.Logger
}

// Connect connects to NATS. The connection then reconnects forever with
// jittered backoff. The first attempt is retried until ctx ends.
func Connect(ctx context.Context, cfg Config, log *zap.Logger) (*Publisher, error) {
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", zap.String("server", nc.ConnectedUrlRedacted()))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Warn("nats error", zap.Error(err))
		}),
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConnect, err)
	}
	p := &Publisher{nc: nc, prefix: cfg.Prefix, log: log}
	// RetryOnFailedConnect returns at once; wait for the first connection
	// so that start-up order holds, but never past ctx.
	for !nc.IsConnected() {
		select {
		case <-ctx.Done():
			nc.Close()
			return nil, fmt.Errorf("%w %s: %w", ErrConnect, redactURLs(cfg.URL), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return p, nil
}

// Conn returns the underlying connection.
func (p *Publisher) Conn() *nats.Conn { return p.nc }

// Prefix returns the subject prefix.
func (p *Publisher) Prefix() string { return p.prefix }

// Frame publishes one frame label on core NATS.
func (p *Publisher) Frame(m *FrameMsg) error {
	return p.publish(Subject(p.prefix, m.Stream, KindFrame), m.Stream, m.Model, m)
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
	return p.nc.PublishMsg(msg)
}

// Close drains the connection: everything published reaches the server
// before it closes, bounded by timeout.
func (p *Publisher) Close(timeout time.Duration) error {
	done := make(chan struct{})
	p.nc.SetClosedHandler(func(*nats.Conn) { close(done) })
	if err := p.nc.Drain(); err != nil {
		p.nc.Close()
		return nil
	}
	select {
	case <-done:
	case <-time.After(timeout):
		p.nc.Close()
		return errors.New("publisher: drain timed out")
	}
	return nil
}
