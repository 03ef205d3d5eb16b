package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// runCheckin is `tend checkin`: submit one check-in JSON and print the answer.
func runCheckin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("checkin", "Submits one check-in (v1 JSON, from --file or stdin) to ingest and prints the response: your own scores, bands and suggestions.", stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "ingest base `URL`")
	file := fs.String("file", "-", "check-in JSON `file`; - reads stdin")
	if err := parseFlags(fs, args, getenv); err != nil {
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
	status, resp, err := postJSON(ctx, *url+"/v1/checkins", body)
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

// postJSON posts body to url and returns the status and response body.
func postJSON(ctx context.Context, url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("post %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read response of %s: %w", url, err)
	}
	return resp.StatusCode, b, nil
}
