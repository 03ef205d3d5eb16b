package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/pipeline"
	"github.com/tendhq/tend/internal/roster"
)

// rosterAdmin parses the flags every roster command shares — ClickHouse,
// the pseudonym key, the check-in page, the clinician e names — then
// extra's, and opens the roster.
func rosterAdmin(name, summary string, args []string, getenv func(string) string, stderr io.Writer, e *roster.Entry, extra func(*flag.FlagSet)) (roster.Admin, error) {
	var c pipeline.Config
	a := roster.Admin{Actor: cliActor(getenv)}
	fs := envflag.New(name, summary+" The pseudonym key comes from TEND_PSEUDONYM_KEY_FILE or TEND_PSEUDONYM_KEY, as ingest's.", stderr)
	fs.StringVar(&a.LinkBase, "link-base", "http://127.0.0.1:8080/", "`URL` of the check-in page the personal links open")
	fs.StringVar(&c.PseudonymKeyFile, "pseudonym-key-file", "", "file holding the pseudonym key")
	fs.StringVar(&e.Clinic, "clinic", "", "the clinic")
	fs.StringVar(&e.Team, "team", "", "the clinician's team (enroll, move)")
	fs.StringVar(&e.Clinician, "clinician", "", "the clinician's identifier as the clinic knows it (pseudonymized before it is stored)")
	extra(fs)
	var err error
	if a.Store, err = parseStore(fs, &c.ClickHouse, args, getenv); err != nil {
		return a, err
	}
	c.PseudonymKey = getenv("TEND_PSEUDONYM_KEY")
	if a.Pseudonyms, err = pipeline.ConfiguredPseudonymizer(c); err != nil {
		a.Store.Close()
	}
	return a, err
}

// runEnroll is `tend enroll`: clinicians onto a roster, a personal link each.
func runEnroll(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var e roster.Entry
	var file string
	var asJSON bool
	a, err := rosterAdmin("enroll", "Enrolls clinicians — one with --clinic, --team and --clinician, or a roster CSV (columns clinic, team, clinician) with --roster — and prints each one's personal check-in link, shown once (only its hash is kept).", args, getenv, stderr, &e, func(fs *flag.FlagSet) {
		fs.StringVar(&file, "roster", "", "roster CSV `file`, instead of the three above")
		fs.BoolVar(&asJSON, "json", false, "one JSON object per clinician: clinic, team, clinician, link, token")
	})
	if err != nil {
		return err
	}
	defer a.Store.Close()
	entries := []roster.Entry{e}
	if file != "" {
		if entries, err = roster.ReadCSVFile(file); err != nil {
			return err
		}
	} else if e.Clinic == "" || e.Team == "" || e.Clinician == "" {
		return usageError{Err: errors.New("need --clinic, --team and --clinician, or --roster FILE.csv")}
	}
	issued, err := a.Enroll(ctx, entries)
	for _, i := range issued {
		if asJSON {
			json.NewEncoder(stdout).Encode(i)
		} else {
			fmt.Fprintf(stdout, "%s/%s %s: %s\n", i.Clinic, i.Team, i.Clinician, i.Link)
		}
	}
	return err
}

// runRoster is `tend roster list|move|revoke|reissue|remove`.
func runRoster(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	command := func(name, summary string, do func(roster.Admin, roster.Entry) error) func([]string) error {
		return func(args []string) error {
			var e roster.Entry
			a, err := rosterAdmin("roster "+name, summary, args, getenv, stderr, &e, func(*flag.FlagSet) {})
			if err != nil {
				return err
			}
			defer a.Store.Close()
			if e.Clinic == "" || (name != "list" && e.Clinician == "") || (name == "move") != (e.Team != "") {
				return usageError{Err: errors.New("need --clinic, --clinician (but for list), and --team for move only")}
			}
			return do(a, e)
		}
	}
	change := func(c roster.Change) func(roster.Admin, roster.Entry) error {
		return func(a roster.Admin, e roster.Entry) error {
			issued, err := a.Apply(ctx, c, e.Clinic, e.Clinician, e.Team)
			if c == roster.Reissue && err == nil {
				fmt.Fprintf(stdout, "%s/%s %s: %s\n", issued.Clinic, issued.Team, issued.Clinician, issued.Link)
			}
			return err
		}
	}
	list := func(a roster.Admin, e roster.Entry) error {
		members, err := a.Store.Roster(ctx, e.Clinic)
		for _, m := range members {
			left := "—"
			if !m.Left.IsZero() {
				left = m.Left.Format("2006-01-02")
			}
			fmt.Fprintf(stdout, "%-20s %.12s… enrolled %s left %s link %t\n", m.Team, m.Clinician, m.Enrolled.Format("2006-01-02"), left, m.TokenSHA256 != "")
		}
		return err
	}
	return subcommand("roster", "Usage: tend roster list|move|revoke|reissue|remove [flags]\n", args, stdout, stderr, map[string]func([]string) error{
		"list":    command("list", "Lists a clinic's roster: pseudonyms, teams, dates, whether the link works.", list),
		"move":    command("move", "Moves a clinician to --team.", change(roster.Move)),
		"revoke":  command("revoke", "Revokes a clinician's personal link.", change(roster.Revoke)),
		"reissue": command("reissue", "Gives a clinician a new personal link; the old one stops working.", change(roster.Reissue)),
		"remove":  command("remove", "Takes a clinician off the roster (they left): their link stops working and they are no longer counted.", change(roster.Remove)),
	})
}
