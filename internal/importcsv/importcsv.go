// Package importcsv reads survey exports — a spreadsheet or survey tool's
// CSV, one check-in per row — and sends them through the ingest batch API,
// so that imported check-ins pass exactly the validation clinicians' own do.
// Format says what a file holds. The id derived for a row is keyed
// (HMAC-SHA256), so that nobody without the key can test a guessed
// clinician identifier against it (a plain hash of the row could be).
package importcsv

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/checkin"
)

// Format is the CSV a survey export must be, as `tend import --help` says.
const Format = `The first row names the columns: clinic, team, clinician, submitted_at (RFC 3339 or
"2006-01-02 15:04:05" UTC), instrument, and the answers either as one column "answers"
(numbers separated by spaces or semicolons) or as item1, item2, … in item order.
Optional: id, sessions, trauma_sessions, hours_worked, sleep_hours. A row without an id
gets one derived from its content with a secret key, so importing the same file twice
counts once.`

// Result is the outcome of an import: every row, and why each rejected one
// was (by line).
type Result struct {
	Rows     int
	Rejected []string
}

// Accepted is how many rows were stored.
func (r Result) Accepted() int { return r.Rows - len(r.Rejected) }

// String says how many rows were accepted and rejected, and why the first
// twenty were rejected, a line each.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows, %d accepted, %d rejected", r.Rows, r.Accepted(), len(r.Rejected))
	for i, line := range r.Rejected {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … and %d more", len(r.Rejected)-20)
			break
		}
		b.WriteString("\n  " + line)
	}
	return b.String()
}

// Err is an error when rows were rejected.
func (r Result) Err() error {
	if len(r.Rejected) > 0 {
		return fmt.Errorf("%d rows rejected", len(r.Rejected))
	}
	return nil
}

// Import posts the valid rows in batches of size through c, and collects
// the rejected ones — unreadable here or refused by ingest — by line.
// progress, if set, hears how many rows were handled. A batch that gets no
// answer stops the import: rerunning it is safe, since rows already stored
// count once.
func Import(ctx context.Context, c client.Client, rows []Row, size int, progress func(done int)) (Result, error) {
	res := Result{Rows: len(rows)}
	done := 0
	for chunk := range slices.Chunk(rows, size) {
		var items []checkin.CheckIn
		var lines []int
		for _, r := range chunk {
			if r.Err != nil {
				res.Rejected = append(res.Rejected, fmt.Sprintf("line %d: %v", r.Line, r.Err))
				continue
			}
			items = append(items, r.CheckIn)
			lines = append(lines, r.Line)
		}
		if len(items) > 0 {
			out, err := c.Batch(ctx, items)
			if err != nil {
				return res, fmt.Errorf("import after %d rows: %w (rerun: rows already stored count once)", done, err)
			}
			for _, item := range out.Results {
				if item.Status != http.StatusAccepted {
					res.Rejected = append(res.Rejected, fmt.Sprintf("line %d: %s %s", lines[item.Index], item.Error, fieldList(item.Fields)))
				}
			}
		}
		done += len(chunk)
		if progress != nil {
			progress(done)
		}
	}
	return res, nil
}

func fieldList(fields map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		parts = append(parts, k+": "+fields[k])
	}
	return strings.Join(parts, "; ")
}

// Row is one data row of an export: a check-in, or why it is not one.
type Row struct {
	Line    int // in the file, for the operator's error list
	CheckIn checkin.CheckIn
	Err     error
}

var itemColumn = regexp.MustCompile(`^item(\d+)$`)

// Read reads every row; a row that cannot become a check-in carries its
// error, so the import goes on with the others. Only an unreadable header is
// an error of the whole file. key derives the ids of rows without one; with
// no key such rows are refused.
func Read(r io.Reader, key []byte) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read the header row: %w", err)
	}
	col := map[string]int{}
	items := map[int]int{} // item number → column
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		col[h] = i
		if m := itemColumn.FindStringSubmatch(h); m != nil {
			n, _ := strconv.Atoi(m[1])
			items[n] = i
		}
	}
	for _, need := range []string{"clinic", "team", "clinician", "submitted_at", "instrument"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("the header lacks the column %q", need)
		}
	}
	if _, ok := col["answers"]; !ok && len(items) == 0 {
		return nil, errors.New(`the header needs an "answers" column or item1, item2, … columns`)
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			rows = append(rows, Row{Line: line, Err: err})
			continue
		}
		c, err := checkInFromCSV(rec, col, items, key)
		rows = append(rows, Row{Line: line, CheckIn: c, Err: err})
	}
}

func checkInFromCSV(rec []string, col map[string]int, items map[int]int, key []byte) (checkin.CheckIn, error) {
	get := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	c := checkin.CheckIn{ID: get("id"), Clinic: get("clinic"), Team: get("team"), Clinician: get("clinician"), Instrument: get("instrument")}
	at, err := parseTime(get("submitted_at"))
	if err != nil {
		return c, fmt.Errorf("submitted_at: %w", err)
	}
	c.SubmittedAt = at
	var answers []string
	if a := get("answers"); a != "" {
		answers = strings.FieldsFunc(a, func(r rune) bool { return r == ' ' || r == ';' || r == ',' })
	} else {
		for n := 1; n <= len(items); n++ {
			i, ok := items[n]
			if !ok || i >= len(rec) {
				return c, fmt.Errorf("item%d: missing", n)
			}
			answers = append(answers, strings.TrimSpace(rec[i]))
		}
	}
	for i, a := range answers {
		v, err := strconv.Atoi(a)
		if err != nil {
			return c, fmt.Errorf("answers[%d]: %q is not a whole number", i, a)
		}
		c.Answers = append(c.Answers, v)
	}
	var x checkin.Context
	for _, f := range []struct {
		name string
		int  **int
		flt  **float64
	}{{"sessions", &x.Sessions, nil}, {"trauma_sessions", &x.TraumaSessions, nil}, {"hours_worked", nil, &x.HoursWorked}, {"sleep_hours", nil, &x.SleepHours}} {
		v := get(f.name)
		if v == "" {
			continue
		}
		if f.int != nil {
			n, err := strconv.Atoi(v)
			if err != nil {
				return c, fmt.Errorf("%s: %q is not a whole number", f.name, v)
			}
			*f.int = &n
		} else {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return c, fmt.Errorf("%s: %q is not a number", f.name, v)
			}
			*f.flt = &n
		}
	}
	if x != (checkin.Context{}) {
		c.Context = &x
	}
	if c.ID == "" {
		if len(key) == 0 {
			return c, errors.New("id: missing, and no key to derive one (set TEND_IMPORT_KEY or TEND_TOKEN)")
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(strings.Join(rec, "\x1f")))
		c.ID = "import-" + hex.EncodeToString(mac.Sum(nil)[:16])
	}
	return c, nil
}

// parseTime accepts RFC 3339, and the "YYYY-MM-DD hh:mm:ss" of spreadsheet
// exports, read as UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, time.DateTime, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp (RFC 3339, or YYYY-MM-DD hh:mm:ss in UTC)", s)
}
