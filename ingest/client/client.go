// Package client talks to tend's ingest API the way clinicians' apps and
// survey-tool integrations do: it is what `tend checkin`, `tend import`,
// `tend simulate`, the demo and `tend bench` send check-ins with.
package client

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	// encoding/json, several times faster (see internal/checkin): tend
	// import, simulate and bench encode thousands of check-ins a second.
	json "github.com/segmentio/encoding/json"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/retry"
)

// DefaultTimeout bounds one request, answer included.
const DefaultTimeout = 15 * time.Second

// Client posts to one ingest API. The zero HTTP uses a client with
// DefaultTimeout.
type Client struct {
	URL   string // base URL, e.g. http://127.0.0.1:8080
	Token string // access token sent as Authorization: Bearer; empty sends none
	// Retries is how often a request answered 503 is sent again (0: never).
	Retries int
	HTTP    *http.Client
}

// defaultHTTP keeps a connection per concurrent sender (tend import and
// bench post from several goroutines; the default transport keeps only two
// idle connections per host and would dial the rest anew each request).
var defaultHTTP = &http.Client{Timeout: DefaultTimeout, Transport: transport()}

func transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

// Post sends body as JSON to path and returns the status and response body.
func (c Client) Post(ctx context.Context, path string, body []byte) (int, []byte, error) {
	return c.Do(ctx, http.MethodPost, path, body)
}

// Do sends a request with method to path — body, if any, as JSON — and
// returns the status and response body. A 503 (ingest overloaded, or the
// broker not acknowledging) is sent again, the same body and so the same
// ids, after the server's Retry-After, up to c.Retries times while ctx
// lasts.
func (c Client) Do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	return c.send(ctx, method, path, body, nil)
}

// send is Do, with header's fields added to each request.
func (c Client) send(ctx context.Context, method, path string, body []byte, header http.Header) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		status, resp, wait, err := c.do(ctx, method, path, body, header)
		if err != nil || status != http.StatusServiceUnavailable || attempt >= c.Retries || !retry.Sleep(ctx, wait) {
			return status, resp, err
		}
	}
}

// DefaultRetries is how often the commands send a request again after a
// 503.
const DefaultRetries = 5

// do sends one request; wait is the server's Retry-After (1 s without it).
func (c Client) do(ctx context.Context, method, path string, body []byte, header http.Header) (status int, resp []byte, wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, err
	}
	maps.Copy(req.Header, header)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	r, err := hc.Do(req)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("%s %s: %w", method, c.URL+path, err)
	}
	defer r.Body.Close()
	wait = time.Second
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil && s > 0 && s <= 60 {
		wait = time.Duration(s) * time.Second
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return r.StatusCode, nil, wait, fmt.Errorf("read response of %s: %w", c.URL+path, err)
	}
	return r.StatusCode, b, wait, nil
}

// Checkin posts one check-in and returns the clinician's receipt; an
// answer other than 202 is an error quoting the server's.
func (c Client) Checkin(ctx context.Context, ci checkin.CheckIn) (ingest.Receipt, error) {
	var r ingest.Receipt
	body, err := json.Marshal(ci)
	if err != nil {
		return r, err
	}
	status, resp, err := c.Post(ctx, "/v1/checkins", body)
	if err != nil {
		return r, err
	}
	if status != http.StatusAccepted {
		return r, fmt.Errorf("check-in: HTTP %d: %.300s", status, resp)
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return r, fmt.Errorf("check-in: decode the receipt: %w", err)
	}
	return r, nil
}

// Batch posts check-ins to the batch endpoint and returns its answer; an
// answer other than 200 is an error. It asks for the minimal answer
// (ingest.PreferMinimal): the counts, and Results only for the items not
// accepted, without the clinicians' receipts a bulk sender has no use for.
func (c Client) Batch(ctx context.Context, cs []checkin.CheckIn) (ingest.BatchResponse, error) {
	var r ingest.BatchResponse
	body, err := json.Marshal(cs)
	if err != nil {
		return r, err
	}
	status, resp, err := c.send(ctx, http.MethodPost, "/v1/checkins/batch", body, http.Header{"Prefer": {ingest.PreferMinimal}})
	if err != nil {
		return r, err
	}
	if status != http.StatusOK || json.Unmarshal(resp, &r) != nil {
		return r, fmt.Errorf("batch: HTTP %d: %.300s", status, resp)
	}
	return r, nil
}

// All posts check-ins in batches of size, and fails unless every one was
// accepted. progress, if set, hears how many were sent.
func (c Client) All(ctx context.Context, cs []checkin.CheckIn, size int, progress func(sent int)) error {
	sent := 0
	for chunk := range slices.Chunk(cs, size) {
		r, err := c.Batch(ctx, chunk)
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

// Flags registers the client's URL on fs. The access token is no flag
// (flags are visible to other users of the machine): ReadToken reads it.
func (c *Client) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "ingest base `URL` (access token: TEND_TOKEN or TEND_TOKEN_FILE)")
	fs.IntVar(&c.Retries, "retries", DefaultRetries, "how often a request answered 503 (ingest busy, broker down) is sent again, after its Retry-After, with the same check-in ids")
}

// ReadToken reads the access token from TEND_TOKEN or the file in
// TEND_TOKEN_FILE.
func (c *Client) ReadToken(getenv func(string) string) (err error) {
	c.Token, err = envflag.Secret(getenv, "TEND_TOKEN")
	return err
}
