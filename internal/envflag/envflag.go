// Package envflag is the command line of every tend command: flags, each
// also read from an environment variable TEND_<FLAG> (flags win), with a
// --help that names both, and secrets read from the environment or a file,
// never from a flag (other users of a machine can read its command lines).
package envflag

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// UsageError marks a mistake on the command line (exit status 2).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// New returns a flag set whose --help prints the command's summary and
// its flags with their environment variables.
func New(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("tend "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tend %s [flags]\n\n%s\n\nFlags (each also read from the environment variable shown):\n", name, summary)
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(stderr, "  --%s  (%s)\n    \t%s", f.Name, Env(f.Name), f.Usage)
			if f.DefValue != "" && f.DefValue != "false" {
				fmt.Fprintf(stderr, " (default %q)", f.DefValue)
			}
			fmt.Fprintln(stderr)
		})
	}
	return fs
}

// Env is the environment variable of a flag: --data-dir → TEND_DATA_DIR.
func Env(flagName string) string {
	return "TEND_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse parses args, then fills every flag not given on the command line
// from its TEND_ environment variable. Flags win over the environment.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := ParseWithArgs(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return UsageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// ParseWithArgs is Parse for commands that take arguments after
// their flags (fs.Args()).
func ParseWithArgs(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return UsageError{err}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		if v := getenv(Env(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, UsageError{fmt.Errorf("%s=%q: %w", Env(f.Name), v, err)})
			}
		}
	})
	return errors.Join(errs...)
}

// Secret reads a secret from the file named in name_FILE, else from
// the variable name itself: secrets never come from flags, which other
// users of the machine can read.
func Secret(getenv func(string) string, name string) (string, error) {
	if path := getenv(name + "_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return getenv(name), nil
}

// IsSet reports whether the flag name was given, on the command line or in
// its environment variable (after Parse).
func IsSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// Logger returns a text logger on w at level, the value of a --log-level
// flag (debug, info, warn, error).
func Logger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, UsageError{fmt.Errorf("--log-level: %w", err)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
