package main

import (
	"context"
	"fmt"
	"io"
)

func cmdConfigCheck(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("config check", "config check [--config FILE]", `Validates the configuration (every problem at once, each naming its key) and prints
the effective configuration with secrets redacted. Exit 1 when it is invalid.`, stderr)
	cfgPath := fs.String("config", defaultConfigPath, "configuration file")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	out, err := cfg.Redacted()
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "# %s is valid; effective configuration, secrets redacted:\n", *cfgPath)
	_, err = stdout.Write(out)
	return err
}
