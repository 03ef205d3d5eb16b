package main

import (
	"context"
	"fmt"
	"io"

	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/envflag"
)

// runMigrate is `tend migrate`: apply the embedded schema migrations, once.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg clickhouse.Config
	fs := envflag.New("migrate", "Applies tend's ClickHouse schema (versioned migrations embedded in the binary). Safe to repeat.", stderr)
	store, err := parseStore(fs, &cfg, args, getenv)
	if err != nil {
		return err
	}
	defer store.Close()
	applied, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "schema up to date")
		return nil
	}
	fmt.Fprintf(stdout, "applied migrations %v\n", applied)
	return nil
}
