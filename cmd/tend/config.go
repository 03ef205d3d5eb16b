package main

import (
	"io"

	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/pipeline"
)

// clickHousePassword reads the password of the ClickHouse user from
// TEND_CLICKHOUSE_PASSWORD or the file in TEND_CLICKHOUSE_PASSWORD_FILE.
func clickHousePassword(c *clickhouse.Config, getenv func(string) string) (err error) {
	c.Password, err = envflag.Secret(getenv, "TEND_CLICKHOUSE_PASSWORD")
	return err
}

// serveConfig parses the flags of up, ingest and process.
func serveConfig(r pipeline.Role, args []string, getenv func(string) string, stderr io.Writer) (pipeline.Config, error) {
	var c pipeline.Config
	fs := envflag.New(r.Name, r.Summary, stderr)
	c.Flags(fs, r)
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return c, err
	}
	if err := clickHousePassword(&c.ClickHouse, getenv); err != nil {
		return c, err
	}
	c.PseudonymKey = getenv("TEND_PSEUDONYM_KEY")
	if err := c.Check(r, envflag.IsSet(fs, "settle")); err != nil {
		return c, usageError{Err: err}
	}
	return c, nil
}
