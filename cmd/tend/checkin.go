package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/envflag"
)

// runCheckin is `tend checkin`: submit one check-in JSON and print the answer.
func runCheckin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := envflag.New("checkin", "Submits one check-in (v1 JSON, from --file or stdin) to ingest and prints the response: your own scores, bands and suggestions.", stderr)
	var client client.Client
	client.Flags(fs)
	file := fs.String("file", "-", "check-in JSON `file`; - reads stdin")
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return err
	}
	if err := client.ReadToken(getenv); err != nil {
		return err
	}
	var body []byte
	var err error
	if *file == "-" {
		body, err = io.ReadAll(stdin)
	} else {
		body, err = os.ReadFile(*file)
	}
	if err != nil {
		return fmt.Errorf("read check-in: %w", err)
	}
	status, resp, err := client.Post(ctx, "/v1/checkins", body)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s", resp)
	if status != http.StatusAccepted {
		return fmt.Errorf("check-in not accepted: HTTP %d", status)
	}
	return nil
}
