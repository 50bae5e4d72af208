// Command activityd watches video streams and publishes, over NATS, what
// activity is happening in each.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/activityd/activityd/internal"
	"github.com/activityd/activityd/internal/config"
	"github.com/activityd/activityd/internal/daemon"
	"github.com/activityd/activityd/internal/observability"
)

func main() {
	cfgPath := flag.String("config", "", "configuration file (YAML); empty runs the embedded defaults")
	check := flag.Bool("check-config", false, "validate the configuration and exit")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *version {
		fmt.Println("activityd", internal.Version)
		return
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "activityd: invalid configuration:\n%v\n", err)
		os.Exit(2)
	}
	if *check {
		fmt.Println("configuration ok")
		return
	}
	log, err := observability.NewLogger(os.Stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		fmt.Fprintln(os.Stderr, "activityd:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// SIGHUP reloads the configuration file (systemctl reload activityd).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default: // a reload is already pending
			}
		}
	}()
	opts := daemon.Options{Reload: reload}
	if *cfgPath != "" {
		opts.Load = func() (config.Config, error) { return config.Load(*cfgPath) }
	}
	if err := daemon.RunWith(ctx, cfg, log, opts); err != nil {
		_ = log.Sync()
		fmt.Fprintln(os.Stderr, "activityd:", err)
		os.Exit(1)
	}
	_ = log.Sync()
}
