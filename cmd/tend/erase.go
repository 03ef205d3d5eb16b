package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/erasure"
	"github.com/tendhq/tend/internal/pipeline"
	"github.com/tendhq/tend/internal/stream"
)

// runErase is `tend erase`: the right to erasure. It deletes one
// clinician's check-ins from ClickHouse and from the streams. Published
// team figures do not change (a figure before and after would tell the
// erased answers); periods not yet published never include them.
func runErase(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c pipeline.Config
	var clinic, clinician, pseudonym string
	fs := envflag.New("erase", "Erases one clinician's check-ins (right to erasure) from ClickHouse and JetStream; figures already published (aggregates of at least k) stay as they are. Give the raw identifier with --clinician (pseudonymized with the deployment's key) or the pseudonym itself with --pseudonym.", stderr)
	fs.StringVar(&clinic, "clinic", "", "the clinician's clinic (required)")
	fs.StringVar(&clinician, "clinician", "", "the clinician's identifier as they submit it")
	fs.StringVar(&pseudonym, "pseudonym", "", "the clinician's pseudonym, instead of --clinician")
	stream.ClientFlags(fs, &c.NATSURL, &c.NATSCredentials)
	fs.StringVar(&c.PseudonymKeyFile, "pseudonym-key-file", "", "file holding the pseudonym key (or set TEND_PSEUDONYM_KEY)")
	fs.StringVar(&c.LogLevel, "log-level", "warn", "log level: debug, info, warn, error")
	store, err := parseStore(fs, &c.ClickHouse, args, getenv)
	if err != nil {
		return err
	}
	defer store.Close()
	if clinic == "" || (clinician == "") == (pseudonym == "") {
		return usageError{Err: errors.New("need --clinic and exactly one of --clinician or --pseudonym")}
	}
	c.PseudonymKey = getenv("TEND_PSEUDONYM_KEY")
	if pseudonym == "" {
		if pseudonym, err = pipeline.Pseudonym(c, clinic, clinician); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, erasure.Timeout)
	defer cancel()
	log, err := envflag.Logger(stderr, c.LogLevel)
	if err != nil {
		return err
	}
	conn, err := stream.Connect(ctx, c.NATSURL, "tend-erase", c.NATSCredentials, log)
	if err != nil {
		return err
	}
	defer conn.NC.Close()
	r, err := erasure.Clinician(ctx, conn.JS, store, clinic, pseudonym, clinician)
	audit(ctx, store, getenv, clickhouse.AuditEntry{Action: "erase", Target: clinic + "/" + pseudonym,
		Detail: fmt.Sprintf("%d check-ins, %d messages, %d claims", r.CheckIns, r.Messages, r.Claims)}, err, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "erased %d check-ins from ClickHouse, %d messages from JetStream and their reference from %d periods' alert memory; published figures are unchanged\n", r.CheckIns, r.Messages, r.Claims)
	return nil
}
