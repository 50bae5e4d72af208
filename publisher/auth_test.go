package publisher_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/activityd/activityd/publisher"
)

// TestAuth runs servers that require a token or a user and password: the
// right credentials connect and events reach JetStream; wrong ones give
// ErrAuth, one clear log line while the client keeps retrying, and the
// secret appears in no log line and no error.
func TestAuth(t *testing.T) {
	const secret = "s3cret-Value-42"
	cases := []struct {
		name        string
		server      func(*server.Options)
		right, bad  publisher.Auth
		wantAuthLog string
	}{
		{"token", func(o *server.Options) { o.Authorization = secret },
			publisher.Auth{Token: secret}, publisher.Auth{Token: "wrong-" + secret}, "token"},
		{"user-password", func(o *server.Options) { o.Username, o.Password = "activityd", secret },
			publisher.Auth{User: "activityd", Password: secret}, publisher.Auth{User: "activityd", Password: "x" + secret},
			"user activityd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			port := freePort(t)
			srv := runServer(t, port, filepath.Join(dir, "js"), c.server)
			defer stopServer(srv)

			// Right credentials.
			pub, err := publisher.Connect(context.Background(), publisher.Config{URL: url(port), Prefix: "activity",
				Auth: c.right, OutboxDir: filepath.Join(dir, "outbox")}, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := pub.WaitConnected(ctx); err != nil {
				t.Fatalf("right credentials: %v", err)
			}
			ev := &publisher.EventMsg{ID: "auth-1", Type: publisher.EventStart, Stream: "cam", Label: "walk",
				Score: 0.9, StartTS: time.Now().UTC(), Model: "m"}
			if err := pub.Event(ev); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, "the event to be acked", func() bool { return pub.Outbox().Len() == 0 })
			if err := pub.Close(5 * time.Second); err != nil {
				t.Error(err)
			}
			var ncOpt nats.Option
			if c.right.Token != "" {
				ncOpt = nats.Token(c.right.Token)
			} else {
				ncOpt = nats.UserInfo(c.right.User, c.right.Password)
			}
			nc, err := nats.Connect(url(port), ncOpt)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if msgs := readStream(t, nc, "ACTIVITY"); len(msgs) != 1 || msgs[0].MsgID != "auth-1-start" {
				t.Fatalf("stored %+v, want the one event", msgs)
			}

			// Wrong credentials.
			core, logs := observer.New(zapcore.DebugLevel)
			bad, err := publisher.Connect(context.Background(), publisher.Config{URL: url(port), Prefix: "activity",
				Auth: c.bad, OutboxDir: filepath.Join(dir, "outbox2")}, zap.New(core))
			if err != nil {
				t.Fatal(err)
			}
			wctx, wcancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer wcancel()
			err = bad.WaitConnected(wctx)
			if !errors.Is(err, publisher.ErrAuth) {
				t.Fatalf("wrong credentials: err = %v, want ErrAuth", err)
			}
			t.Logf("wrong credentials: %v", err)
			if bad.Conn().IsClosed() {
				t.Error("the client gave up instead of retrying")
			}
			if err := bad.Close(time.Second); err != nil {
				t.Error(err)
			}
			refused := logs.FilterMessage("nats refused authentication; retrying").All()
			if len(refused) != 1 {
				t.Errorf("%d 'refused authentication' log lines in 3 s of retries, want exactly 1", len(refused))
			} else if a := refused[0].ContextMap()["auth"]; a != c.wantAuthLog {
				t.Errorf("log names auth %q, want %q", a, c.wantAuthLog)
			}
			for _, e := range logs.All() {
				line := e.Message + fmt.Sprint(e.ContextMap())
				if strings.Contains(line, secret) {
					t.Errorf("a log line shows the secret: %s", line)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

// TestAuthFilesMissing: a credentials file that does not exist fails at
// Connect with the key named.
func TestAuthFilesMissing(t *testing.T) {
	for _, a := range []struct {
		auth publisher.Auth
		key  string
	}{
		{publisher.Auth{CredsFile: "/nonexistent/x.creds"}, "nats.creds_file"},
		{publisher.Auth{NKeySeedFile: "/nonexistent/seed.nk"}, "nats.nkey_seed_file"},
		{publisher.Auth{TLSCA: "/nonexistent/ca.pem"}, "nats.tls.ca"},
	} {
		_, err := publisher.Connect(context.Background(), publisher.Config{URL: "nats://127.0.0.1:1", Prefix: "a",
			Auth: a.auth}, zap.NewNop())
		if err == nil || !strings.Contains(err.Error(), a.key) {
			t.Errorf("%+v: err = %v, want one naming %s", a.auth, err, a.key)
		}
	}
}
