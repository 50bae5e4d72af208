package publisher

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
)

// ErrEmbedded wraps failures to start the embedded server.
var ErrEmbedded = errors.New("publisher: embedded nats-server")

// EmbeddedConfig configures the in-process NATS server.
type EmbeddedConfig struct {
	// Listen is host:port for clients; port 0 picks a free one.
	Listen string
	// StoreDir holds JetStream's files.
	StoreDir string
}

// StartEmbedded starts nats-server in this process with JetStream and waits
// until it accepts clients. Shut it down with Shutdown and WaitForShutdown.
func StartEmbedded(cfg EmbeddedConfig, log *zap.Logger) (*server.Server, error) {
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("%w: listen address %q: %w", ErrEmbedded, cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("%w: listen port %q is not a number", ErrEmbedded, portStr)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	} else {
		// nats-server reports a busy port only through its logger; find
		// out first so that the error says what is wrong.
		l, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("%w: cannot listen on %s: %w", ErrEmbedded, cfg.Listen, err)
		}
		_ = l.Close()
	}
	if err := os.MkdirAll(cfg.StoreDir, 0o750); err != nil {
		return nil, fmt.Errorf("%w: JetStream store: %w", ErrEmbedded, err)
	}
	opts := &server.Options{
		ServerName: "activityd-embedded",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		NoSigs:     true,
		HTTPPort:   0,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEmbedded, err)
	}
	s.SetLoggerV2(serverLogger{log.Named("nats-server")}, false, false, false)
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("%w: not ready after 10s on %s", ErrEmbedded, cfg.Listen)
	}
	return s, nil
}

// serverLogger sends nats-server's log lines to zap: notices at debug (the
// server is chatty at start), warnings and errors as such.
type serverLogger struct{ l *zap.Logger }

func line(format string, v []any) zap.Field { return zap.String("line", fmt.Sprintf(format, v...)) }

func (s serverLogger) Noticef(format string, v ...any) { s.l.Debug("server notice", line(format, v)) }
func (s serverLogger) Warnf(format string, v ...any)   { s.l.Warn("server warning", line(format, v)) }
func (s serverLogger) Fatalf(format string, v ...any)  { s.l.Error("server fatal", line(format, v)) }
func (s serverLogger) Errorf(format string, v ...any)  { s.l.Error("server error", line(format, v)) }
func (s serverLogger) Debugf(format string, v ...any)  { s.l.Debug("server debug", line(format, v)) }
func (s serverLogger) Tracef(string, ...any)           {}
