package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/features/modelstore"
	"github.com/activityd/activityd/internal/config"
)

func runModels(ctx context.Context, args []string) error {
	usage := func() {
		fmt.Fprint(os.Stderr, "usage: activityctl models fetch|list|path|probe [flags]\n\n"+
			"  fetch [NAME...]  obtain backbones and the runtime (default mobilenet_v2 onnxruntime); once\n"+
			"  list             show installed backbones\n"+
			"  path NAME        print the absolute path of NAME's ONNX file; exit 1 if absent\n"+
			"  probe            load and run an ONNX file once (used in a child process)\n\n"+
			"Backbones live in -dir, else $"+modelstore.EnvDir+", else STATE_DIR/models of -config,\n"+
			"else "+modelstore.UserDir()+".\n")
	}
	if len(args) == 0 {
		usage()
		return errors.New("missing subcommand")
	}
	sub, args := args[0], args[1:]
	if sub == "probe" {
		if code := features.ProbeMain(args, os.Stdout, os.Stderr); code != 0 {
			os.Exit(code)
		}
		return nil
	}
	fs := flag.NewFlagSet("models "+sub, flag.ContinueOnError)
	dir := fs.String("dir", "", "models directory")
	cfgPath := fs.String("config", "", "activityd config file (its state_dir holds models)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	stateDir := ""
	if *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		stateDir = cfg.StateDir
	}
	dirs := modelstore.SearchDirs(stateDir)
	if *dir != "" {
		dirs = []string{*dir}
	}
	switch sub {
	case "fetch":
		target := dirs[0]
		if *dir == "" && os.Getenv(modelstore.EnvDir) == "" && stateDir == "" {
			target = modelstore.UserDir()
		}
		names := fs.Args()
		if len(names) == 0 {
			names = []string{modelstore.MobileNetV2, modelstore.ONNXRuntimeName}
		}
		store := modelstore.Store{Dir: target}
		for _, n := range names {
			if n == modelstore.ONNXRuntimeName {
				p, did, err := store.FetchRuntime(ctx, modelstore.Fetcher{Log: os.Stderr})
				if err != nil {
					return err
				}
				fmt.Printf("%s %s: %s\n", n, map[bool]string{true: "installed", false: "already installed"}[did], p)
				continue
			}
			in, did, err := store.Fetch(ctx, modelstore.Fetcher{Log: os.Stderr}, n)
			if err != nil {
				return err
			}
			state := "already installed"
			if did {
				state = "installed"
			}
			fmt.Printf("%s %s: %s (sha256 %s)\n", n, state, in.Path, in.Manifest.SHA256)
		}
		return nil
	case "list":
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSOURCE\tLICENSE\tSHA256\tPATH")
		for _, d := range dirs {
			list, err := modelstore.Store{Dir: d}.List()
			if err != nil {
				return err
			}
			for _, in := range list {
				m := in.Manifest
				fmt.Fprintf(tw, "%s\t%s@%s\t%s\t%s\t%s\n", m.Name, m.Package, m.Version, m.License, m.SHA256, in.Path)
			}
		}
		if p, err := modelstore.RuntimePath(dirs); err == nil && p != "" {
			rt := modelstore.ONNXRuntime()
			fmt.Fprintf(tw, "%s\t%s@%s\t%s\t%s\t%s\n", rt.Name, rt.Package, rt.Version, rt.License, rt.SHA256, p)
		}
		return tw.Flush()
	case "path":
		if fs.NArg() != 1 {
			return errors.New("usage: activityctl models path NAME")
		}
		if fs.Arg(0) == modelstore.ONNXRuntimeName {
			p, err := modelstore.RuntimePath(dirs)
			if err != nil {
				return err
			}
			if p == "" {
				return fmt.Errorf("%w: %s", modelstore.ErrNotInstalled, fs.Arg(0))
			}
			fmt.Println(p)
			return nil
		}
		in, err := modelstore.Find(dirs, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Println(in.Path)
		return nil
	}
	usage()
	return fmt.Errorf("unknown subcommand %q", sub)
}
