package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/tendhq/tend/internal/checkin"
)

// runCheckin is `tend checkin`: submit one check-in JSON and print the answer.
func runCheckin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("checkin", "Submits one check-in (v1 JSON, from --file or stdin) to ingest and prints the response: your own scores, bands and suggestions.", stderr)
	var client ingestClient
	client.flags(fs)
	file := fs.String("file", "-", "check-in JSON `file`; - reads stdin")
	if err := parseFlags(fs, args, getenv); err != nil {
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
	status, resp, err := client.post(ctx, "/v1/checkins", body)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s", resp)
	if status != http.StatusAccepted {
		return fmt.Errorf("check-in not accepted: HTTP %d", status)
	}
	return nil
}

var httpClient = &http.Client{Timeout: 15 * time.Second}

// ingestClient posts to an ingest API, with the clinic's access token when
// TEND_TOKEN or TEND_TOKEN_FILE gives one (never a flag: flags are visible
// to other users of the machine).
type ingestClient struct{ url, token string }

func (c *ingestClient) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "ingest base `URL` (access token: TEND_TOKEN or TEND_TOKEN_FILE)")
}

func (c *ingestClient) readToken(getenv func(string) string) (err error) {
	c.token, err = secretFromEnv(getenv, "TEND_TOKEN")
	return err
}

// post sends body as JSON to path and returns the status and response body.
func (c ingestClient) post(ctx context.Context, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("post %s: %w", c.url+path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read response of %s: %w", c.url+path, err)
	}
	return resp.StatusCode, b, nil
}

// batchResult is the answer of POST /v1/checkins/batch.
type batchResult struct {
	Accepted, Rejected, Unavailable int
	Results                         []struct {
		Index  int               `json:"index"`
		Status int               `json:"status"`
		Error  string            `json:"error"`
		Fields map[string]string `json:"fields"`
	}
}

// postBatch posts check-ins to the batch endpoint and returns its per-item
// answer; an answer other than 200 is an error.
func (c ingestClient) postBatch(ctx context.Context, cs []checkin.CheckIn) (batchResult, error) {
	var r batchResult
	body, err := json.Marshal(cs)
	if err != nil {
		return r, err
	}
	status, resp, err := c.post(ctx, "/v1/checkins/batch", body)
	if err != nil {
		return r, err
	}
	if status != http.StatusOK || json.Unmarshal(resp, &r) != nil {
		return r, fmt.Errorf("batch: HTTP %d: %.300s", status, resp)
	}
	return r, nil
}

// postAll posts check-ins in batches of size, and fails unless every one
// was accepted. progress, if set, hears how many were sent.
func (c ingestClient) postAll(ctx context.Context, cs []checkin.CheckIn, size int, progress func(sent int)) error {
	sent := 0
	for chunk := range slices.Chunk(cs, size) {
		r, err := c.postBatch(ctx, chunk)
		if err != nil {
			return fmt.Errorf("after %d check-ins: %w", sent, err)
		}
		if r.Accepted != len(chunk) {
			return fmt.Errorf("after %d check-ins: %d rejected, %d not stored", sent, r.Rejected, r.Unavailable)
		}
		sent += len(chunk)
		if progress != nil {
			progress(sent)
		}
	}
	return nil
}
