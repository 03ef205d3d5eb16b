package main

import (
	"context"
	"flag"
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
	var client ingestClient
	client.flags(fs)
	file := fs.String("file", "-", "check-in JSON `file`; - reads stdin")
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return err
	}
	if err := client.readToken(getenv); err != nil {
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

// ingestClient is the ingest client of the commands that post check-ins:
// its URL from --url, its access token from TEND_TOKEN or TEND_TOKEN_FILE
// (never a flag: flags are visible to other users of the machine).
type ingestClient struct{ client.Client }

func (c *ingestClient) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "ingest base `URL` (access token: TEND_TOKEN or TEND_TOKEN_FILE)")
}

func (c *ingestClient) readToken(getenv func(string) string) (err error) {
	c.Token, err = envflag.Secret(getenv, "TEND_TOKEN")
	return err
}
