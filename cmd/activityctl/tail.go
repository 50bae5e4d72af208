package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/activityd/activityd/internal/config"
)

func runTail(ctx context.Context, args []string) error {
	return tail(ctx, args, os.Stdout, os.Stderr)
}

// tailSubjects returns the subjects tail subscribes to.
func tailSubjects(prefix, stream string, events bool) []string {
	tok := "*"
	if stream != "" {
		tok = stream
	}
	subjects := []string{prefix + "." + tok + ".event", prefix + "." + tok + ".status"}
	if !events {
		subjects = append(subjects, prefix+"."+tok+".frame", prefix+"."+tok+".clip")
	}
	return subjects
}

// natsSubCommand is what a user would type to see the same with the nats
// CLI.
func natsSubCommand(server, prefix, stream string, events bool) string {
	tok := "*"
	if stream != "" {
		tok = stream
	}
	subj := prefix + "." + tok + ".*"
	if events {
		subj = prefix + "." + tok + ".event"
	}
	return fmt.Sprintf("nats sub -s %s '%s'", server, subj)
}

func tail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", envOr("NATS_URL", "nats://127.0.0.1:4222"), "NATS server URL(s), comma-separated (env NATS_URL)")
	prefix := fs.String("prefix", "activity", "subject prefix (nats.subject_prefix)")
	stream := fs.String("stream", "", "only this stream (default: all)")
	events := fs.Bool("events", false, "only events and source states, no frame or clip labels")
	asJSON := fs.Bool("json", false, "print each message's JSON as received, one per line")
	creds := fs.String("creds", os.Getenv("NATS_CREDS"), "credentials (JWT) file (env NATS_CREDS)")
	nkey := fs.String("nkey", os.Getenv("NATS_NKEY"), "NKey seed file (env NATS_NKEY)")
	user := fs.String("user", os.Getenv("NATS_USER"), "user name (env NATS_USER; password from NATS_PASSWORD)")
	tlsCA := fs.String("tlsca", os.Getenv("NATS_CA"), "CA file that verifies the server (env NATS_CA)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: activityctl tail [flags]\n\n"+
			"Prints what activityd publishes, one line per message. The same with the nats CLI:\n"+
			"  all messages:          nats sub -s nats://127.0.0.1:4222 'activity.>'\n"+
			"  one stream:            nats sub -s nats://127.0.0.1:4222 'activity.cam1.*'\n"+
			"  events of all streams: nats sub -s nats://127.0.0.1:4222 'activity.*.event'\n"+
			"  stored events:         nats stream view ACTIVITY\n"+
			"  current state:         nats kv get activity_current cam1\n"+
			"A token is read from NATS_TOKEN, never from a flag.\n\n")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *stream != "" && !config.ValidToken(*stream) {
		return fmt.Errorf("--stream %q is not a subject token (letters, digits, '-' and '_')", *stream)
	}
	if !config.ValidToken(*prefix) {
		return fmt.Errorf("--prefix %q is not a subject token", *prefix)
	}
	opts := []nats.Option{nats.Name("activityctl-tail"), nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true), nats.ReconnectWait(500 * time.Millisecond)}
	switch {
	case os.Getenv("NATS_TOKEN") != "":
		opts = append(opts, nats.Token(os.Getenv("NATS_TOKEN")))
	case *user != "":
		opts = append(opts, nats.UserInfo(*user, os.Getenv("NATS_PASSWORD")))
	case *nkey != "":
		o, err := nats.NkeyOptionFromSeed(*nkey)
		if err != nil {
			return fmt.Errorf("--nkey: %w", err)
		}
		opts = append(opts, o)
	case *creds != "":
		opts = append(opts, nats.UserCredentials(*creds))
	}
	if *tlsCA != "" {
		opts = append(opts, nats.RootCAs(*tlsCA))
	}
	nc, err := nats.Connect(*server, opts...)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer nc.Close()

	subjects := tailSubjects(*prefix, *stream, *events)
	msgs := make(chan *nats.Msg, 1024)
	for _, s := range subjects {
		if _, err := nc.ChanSubscribe(s, msgs); err != nil {
			return fmt.Errorf("subscribe %s: %w", s, err)
		}
	}
	fmt.Fprintf(stderr, "listening for %s (Ctrl-C to stop); the same: %s\n", strings.Join(subjects, ", "),
		natsSubCommand(nc.ConnectedUrlRedacted(), *prefix, *stream, *events))
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-msgs:
			if *asJSON {
				fmt.Fprintf(stdout, "%s\n", m.Data)
				continue
			}
			printMsg(stdout, m)
		}
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// printMsg writes one readable line for a message.
func printMsg(w io.Writer, m *nats.Msg) {
	parts := strings.Split(m.Subject, ".")
	kind := parts[len(parts)-1]
	var v map[string]any
	if err := json.Unmarshal(m.Data, &v); err != nil {
		fmt.Fprintf(w, "%s  (not JSON: %v)\n", m.Subject, err)
		return
	}
	str := func(k string) string { s, _ := v[k].(string); return s }
	num := func(k string) float64 { f, _ := v[k].(float64); return f }
	clock := func(k string) string {
		t, err := time.Parse(time.RFC3339Nano, str(k))
		if err != nil {
			return "--:--:--"
		}
		return t.Local().Format("15:04:05.0")
	}
	switch kind {
	case "frame":
		fmt.Fprintf(w, "%s %-12s frame #%-6.0f t=%7.2fs  %-16s %.2f%s\n", clock("ts"), str("stream"), num("seq"),
			num("pts_s"), str("label"), num("score"), topK(v["topk"]))
	case "clip":
		fmt.Fprintf(w, "%s %-12s clip  #%-6.0f %-16s %.2f  %s-%s (%.0f frames)%s\n", clock("end_ts"), str("stream"),
			num("seq"), str("label"), num("score"), clock("start_ts"), clock("end_ts"), num("frames"), topK(v["topk"]))
	case "event":
		line := fmt.Sprintf("%s %-12s EVENT %-6s %-16s %.2f  from %s, %.1fs", time.Now().Format("15:04:05.0"),
			str("stream"), str("type"), str("label"), num("score"), clock("start_ts"), num("duration_s"))
		if str("type") == "end" {
			line += fmt.Sprintf(" until %s (%s)", clock("end_ts"), str("reason"))
		}
		fmt.Fprintf(w, "%s  id=%s\n", line, str("id"))
	case "status":
		reason := ""
		if r := str("reason"); r != "" {
			reason = ": " + r
		}
		fmt.Fprintf(w, "%s %-12s state %s%s\n", clock("since"), str("stream"), str("state"), reason)
	default:
		fmt.Fprintf(w, "%s %s %s\n", time.Now().Format("15:04:05.0"), m.Subject, m.Data)
	}
}

func topK(v any) string {
	list, _ := v.([]any)
	if len(list) < 2 {
		return ""
	}
	var b strings.Builder
	b.WriteString("   [")
	for i, e := range list[1:] {
		o, _ := e.(map[string]any)
		if i > 0 {
			b.WriteString(", ")
		}
		l, _ := o["label"].(string)
		s, _ := o["score"].(float64)
		fmt.Fprintf(&b, "%s %.2f", l, s)
	}
	b.WriteString("]")
	return b.String()
}
