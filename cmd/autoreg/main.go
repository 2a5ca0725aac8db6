// Command autoreg trains, evaluates and samples autoregressive sequence
// models, and compresses files with them.
//
// Usage:
//
//	autoreg <command> [flags] [arguments]
//
// Run "autoreg help" for the list of commands and "autoreg <command> --help"
// for one command's flags. Flags and arguments may come in any order. The exit
// code is 0 on success, 1 when the work failed and 2 when the command line
// was wrong. Ctrl-C stops cleanly: long work is cancelled, no partial output
// file is left behind.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand. Its run function parses the command's own
// flags (newFlagSet, parseArgs) and does the work; it writes output to
// stdout, messages to stderr, and returns an error for the exit code: a
// *usageError for a wrong command line (2), flag.ErrHelp after printing
// its usage (0), anything else (1).
type command struct {
	name    string
	summary string
	usage   string // argument synopsis after the command name
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands []*command

func register(c *command) { commands = append(commands, c) }

// usageError marks a wrong command line (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printHelp(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c := find(args[1]); c != nil {
				c.run(ctx, []string{"--help"}, stdout, stderr)
				return 0
			}
		}
		printHelp(stdout)
		return 0
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "autoreg", version())
		return 0
	}
	c := find(name)
	if c == nil {
		fmt.Fprintf(stderr, "autoreg: unknown command %q (run 'autoreg help')\n", name)
		return 2
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	var ue *usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "autoreg %s: %v\n", c.name, oneLine(err))
		fmt.Fprintf(stderr, "run 'autoreg %s --help' for usage\n", c.name)
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "autoreg %s: interrupted\n", c.name)
		return 1
	default:
		fmt.Fprintf(stderr, "autoreg %s: %v\n", c.name, oneLine(err))
		return 1
	}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func find(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// newFlagSet returns the flag set of the command named name, whose usage
// message gives the command's synopsis and summary.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		out := fs.Output()
		if c := find(name); c != nil {
			fmt.Fprintf(out, "usage: autoreg %s %s\n\n%s\n\n", c.name, c.usage, c.summary)
		}
		fmt.Fprintf(out, "flags:\n")
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			line := "  --" + f.Name
			if name != "" {
				line += " " + name
			}
			fmt.Fprintf(out, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
				fmt.Fprintf(out, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(out)
		})
	}
	return fs
}

// parseArgs parses flags that may come before, between or after the
// positional arguments ("--" ends the flags) and returns the positional
// arguments. --help prints the usage on stdout and returns flag.ErrHelp;
// a bad flag is a *usageError.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stdout)
				fs.Usage()
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at the first non-flag argument, or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func printHelp(w io.Writer) {
	fmt.Fprintf(w, "autoreg: autoregressive sequence models in pure Go\n\nusage: autoreg <command> [flags] [arguments]\n\ncommands:\n")
	cs := append([]*command(nil), commands...)
	sort.SliceStable(cs, func(i, j int) bool { return order(cs[i].name) < order(cs[j].name) })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, firstSentence(c.summary))
	}
	fmt.Fprintf(w, "\nRun 'autoreg <command> --help' for a command's flags. Start with 'autoreg demo'.\n")
}

func order(name string) int {
	for i, n := range []string{"demo", "train", "eval", "sample", "transduce", "forecast", "compress", "decompress", "export", "info", "serve"} {
		if n == name {
			return i
		}
	}
	return 100
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// stringList is a repeatable string flag (--data a --data b).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
