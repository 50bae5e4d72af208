package main

import (
	"context"
	"encoding/json"
	"errors"
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
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	server := fs.String("server", envOr("NATS_URL", "nats://127.0.0.1:4222"), "NATS server URL(s), comma-separated (env NATS_URL)")
	prefix := fs.String("prefix", "activity", "subject prefix (nats.subject_prefix)")
	stream := fs.String("stream", "", "only this stream (default: all)")
	events := fs.Bool("events", false, "only events and states, no frame or clip labels")
	asJSON := fs.Bool("json", false, "print each message's JSON as received, one per line")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: activityctl tail [flags]\n\n"+
			"Prints what activityd publishes. The same with the nats CLI:\n"+
			"  nats sub -s nats://127.0.0.1:4222 'activity.>'\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *stream != "" && !config.ValidToken(*stream) {
		return fmt.Errorf("--stream %q is not a subject token (letters, digits, '-' and '_')", *stream)
	}
	nc, err := nats.Connect(*server, nats.Name("activityctl-tail"), nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true), nats.ReconnectWait(500*time.Millisecond))
	if err != nil {
		return fmt.Errorf("connect %s: %w", *server, err)
	}
	defer nc.Close()

	tok := "*"
	if *stream != "" {
		tok = *stream
	}
	subjects := []string{*prefix + "." + tok + ".event", *prefix + "." + tok + ".status"}
	if !*events {
		subjects = append(subjects, *prefix+"."+tok+".frame", *prefix+"."+tok+".clip")
	}
	msgs := make(chan *nats.Msg, 256)
	for _, s := range subjects {
		if _, err := nc.ChanSubscribe(s, msgs); err != nil {
			return fmt.Errorf("subscribe %s: %w", s, err)
		}
	}
	fmt.Fprintf(os.Stderr, "listening on %s for %s (Ctrl-C to stop)\n", *server, strings.Join(subjects, ", "))
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-msgs:
			if *asJSON {
				fmt.Printf("%s\n", m.Data)
				continue
			}
			printMsg(os.Stdout, m)
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
	now := time.Now().Format("15:04:05.000")
	switch kind {
	case "frame":
		fmt.Fprintf(w, "%s %-12s frame #%-6.0f t=%7.2fs  %-16s %.2f%s\n", now, str("stream"), num("seq"),
			num("pts_s"), str("label"), num("score"), topK(v["topk"]))
	case "clip":
		fmt.Fprintf(w, "%s %-12s clip  #%-6.0f %-16s %.2f (%0.f frames)\n", now, str("stream"), num("seq"),
			str("label"), num("score"), num("frames"))
	case "event":
		fmt.Fprintf(w, "%s %-12s EVENT %-6s %-16s %.2f  %.1fs %s\n", now, str("stream"), str("type"),
			str("label"), num("score"), num("duration_s"), str("reason"))
	case "status":
		fmt.Fprintf(w, "%s %-12s state %s %s\n", now, str("stream"), str("state"), str("reason"))
	default:
		fmt.Fprintf(w, "%s %s %s\n", now, m.Subject, m.Data)
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
