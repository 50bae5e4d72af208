// Command activityctl holds activityd's tools: tail the labels, and (as they
// land) train, evaluate, fetch models and synthesise data.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. run gets the arguments after its name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands lists every subcommand; each lives in its own file.
var commands = map[string]command{
	"synth":   {"render a labelled synthetic activity video data set", runSynth},
	"infer":   {"run a model over a feature tensor and print each step's probabilities", runInfer},
	"train":   {"train a recurrent classifier on labelled videos", runTrain},
	"eval":    {"evaluate a model on labelled videos", runEval},
	"demo":    {"show live labels and events beside a scripted video's truth (make demo)", runDemo},
	"tail":    {"print the labels, events and states as they are published", runTail},
	"models":  {"fetch, list and locate backbone models", runModels},
	"version": {"print the version", runVersion},
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: activityctl COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\n'activityctl COMMAND -h' shows a command's flags.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "activityctl: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "activityctl %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// parseFlags parses a subcommand's arguments. help is true when -h asked
// for the usage, which the flag set has printed: the command then returns
// nil.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return true, nil
	}
	return false, err
}
