package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/checkin"
)

// runImport is `tend import FILE.csv`: bulk-import a survey export through
// the ingest batch API, with progress and per-row errors by line number.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import", `Imports check-ins from a CSV survey export through the ingest batch API:
tend import [flags] FILE.csv

The first row names the columns: clinic, team, clinician, submitted_at (RFC 3339 or
"2006-01-02 15:04:05" UTC), instrument, and the answers either as one column "answers"
(numbers separated by spaces or semicolons) or as item1, item2, … in item order.
Optional: id, sessions, trauma_sessions, hours_worked, sleep_hours. A row without an id
gets one derived from its content, so importing the same file twice counts once.`, stderr)
	var client ingestClient
	client.flags(fs)
	batch := fs.Int("batch", 1000, "check-ins per request")
	if err := parseFlagsAndArgs(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() != 1 || *batch < 1 {
		return usageError{errors.New("need exactly one CSV file, after the flags, and --batch of at least 1")}
	}
	if err := client.readToken(getenv); err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	rows, err := readCSV(f)
	if err != nil {
		return fmt.Errorf("import %s: %w", fs.Arg(0), err)
	}

	var rejected []string
	sent := 0
	start := time.Now()
	for chunk := range slices.Chunk(rows, *batch) {
		var items []checkin.CheckIn
		for _, r := range chunk {
			if r.err != nil {
				rejected = append(rejected, fmt.Sprintf("line %d: %v", r.line, r.err))
				continue
			}
			items = append(items, r.checkIn)
		}
		out, err := client.postBatch(ctx, items)
		if err != nil {
			return fmt.Errorf("import after %d rows: %w (rerun: rows already stored count once)", sent, err)
		}
		lines := make([]int, 0, len(items))
		for _, r := range chunk {
			if r.err == nil {
				lines = append(lines, r.line)
			}
		}
		for _, res := range out.Results {
			if res.Status != http.StatusAccepted {
				rejected = append(rejected, fmt.Sprintf("line %d: %s %s", lines[res.Index], res.Error, fieldList(res.Fields)))
			}
		}
		sent += len(chunk)
		fmt.Fprintf(stdout, "\rimport: %d/%d rows (%d%%)", sent, len(rows), 100*sent/len(rows))
	}
	fmt.Fprintf(stdout, "\nimport: %d rows in %s, %d accepted, %d rejected\n",
		len(rows), time.Since(start).Round(time.Millisecond), len(rows)-len(rejected), len(rejected))
	for i, r := range rejected {
		if i == 20 {
			fmt.Fprintf(stdout, "  … and %d more\n", len(rejected)-20)
			break
		}
		fmt.Fprintln(stdout, "  "+r)
	}
	if len(rejected) > 0 {
		return fmt.Errorf("%d rows rejected", len(rejected))
	}
	return nil
}

func fieldList(fields map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		parts = append(parts, k+": "+fields[k])
	}
	return strings.Join(parts, "; ")
}

// csvRow is one data row: a check-in, or why it is not one.
type csvRow struct {
	line    int
	checkIn checkin.CheckIn
	err     error
}

var itemColumn = regexp.MustCompile(`^item(\d+)$`)

// readCSV reads every row; a row that cannot become a check-in carries its
// error, so the import goes on with the others.
func readCSV(r io.Reader) ([]csvRow, error) {
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
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			rows = append(rows, csvRow{line: line, err: err})
			continue
		}
		c, err := checkInFromCSV(rec, col, items)
		rows = append(rows, csvRow{line: line, checkIn: c, err: err})
	}
}

func checkInFromCSV(rec []string, col map[string]int, items map[int]int) (checkin.CheckIn, error) {
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
		sum := sha256.Sum256([]byte(strings.Join(rec, "\x1f")))
		c.ID = "import-" + hex.EncodeToString(sum[:12])
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
