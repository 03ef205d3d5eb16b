package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/internal/envflag"
)

// runToken is `tend token`: a new access token for a clinic, and the line
// that grants it in the --ingest-tokens file. Only the token's hash is ever
// stored; the token itself is shown once.
func runToken(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var clinic string
	fs := envflag.New("token", "Makes a new token for a clinic: an integration token (tend import, survey-tool exports) for the --ingest-tokens file, or an admin token (the roster API) for the --admin-tokens file. Give the token to the clinic; add the line printed after it to the file (it holds only the token's SHA-256).", stderr)
	fs.StringVar(&clinic, "clinic", "", "the clinic the token may submit check-ins for (required)")
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return err
	}
	if clinic == "" {
		return usageError{Err: errors.New("token: --clinic is required")}
	}
	token := "tend_" + rand.Text()
	fmt.Fprintf(stdout, "token (give it to %s; it is not stored anywhere):\n  %s\nline for the --ingest-tokens file:\n  %s %s\n",
		clinic, token, clinic, ingest.HashToken(token))
	return nil
}
