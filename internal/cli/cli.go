// Package cli is tcctl, the controller's command-line client: a small
// command tree over the standard flag package, with one file per resource
// (configs.go, groups.go, ...), contexts (context.go), output formats
// (output.go) and configurations as code (apply.go, export.go). It talks to
// the controller only through internal/client, the public JSON API.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc/internal/client"
)

// Exit codes scripts can rely on.
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitUsage    = 2
	ExitNotFound = 3
	ExitDenied   = 4
)

// App is one run of tcctl: its streams, its environment and the global
// options of the command line.
type App struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Now is the clock (watch's header, export's notes).
	Now func() time.Time
	// Interrupt, when set, ends long-running commands (watch) on a signal;
	// Main sets it to os.Interrupt.
	Interrupt bool

	output      string // table, json or yaml
	contextName string
	cl          *client.Client
}

// Main runs tcctl with args (without the program name) and returns the exit
// code.
func Main(args []string) int {
	a := &App{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now, Interrupt: true}
	return a.Run(args)
}

// Command is one node of the command tree: a group of subcommands, or a
// leaf that runs.
type Command struct {
	Name     string
	Aliases  []string
	Short    string // one line, for the parent's list
	Args     string // what follows the command, e.g. "REF [flags]"
	Long     string
	Examples string
	// Setup registers the command's flags on fs and returns what runs it
	// with the positional arguments. Nil for a group.
	Setup func(fs *flag.FlagSet) Runner
	Subs  []*Command

	parent *Command
}

// Runner runs a leaf command.
type Runner func(ctx context.Context, a *App, args []string) error

// path is the command's full name, "tcctl configs get".
func (c *Command) path() string {
	if c.parent == nil {
		return c.Name
	}
	return c.parent.path() + " " + c.Name
}

func (c *Command) sub(name string) *Command {
	for _, s := range c.Subs {
		if s.Name == name || slices.Contains(s.Aliases, name) {
			return s
		}
	}
	return nil
}

func link(c *Command) *Command {
	for _, s := range c.Subs {
		s.parent = c
		link(s)
	}
	return c
}

// usageError is a mistake on the command line (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// notFoundError is a name that resolves to nothing (exit code 3).
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }

func notFoundf(format string, args ...any) error { return &notFoundError{fmt.Sprintf(format, args...)} }

// exitError ends a run with a code of its own and a message (a failed
// health gate, a plan that found invalid files).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// silent is an error already reported on stderr: only the exit code remains.
var errSilent = &exitError{code: ExitFailure}

// ExitCode maps an error to tcctl's exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	if _, ok := errors.AsType[*usageError](err); ok {
		return ExitUsage
	}
	if _, ok := errors.AsType[*notFoundError](err); ok {
		return ExitNotFound
	}
	if e, ok := errors.AsType[*exitError](err); ok {
		return e.code
	}
	switch client.StatusOf(err) {
	case 404:
		return ExitNotFound
	case 401, 403:
		return ExitDenied
	}
	return ExitFailure
}

// globalValueFlags are the global flags that take a value, for finding the
// command's name among flags given before it.
var globalValueFlags = []string{"-o", "--output", "--context"}

// Run runs tcctl with args and returns the exit code.
func (a *App) Run(args []string) int {
	if a.Now == nil {
		a.Now = time.Now
	}
	root := Root()
	cmd, rest, err := find(root, args)
	if err != nil {
		fmt.Fprintln(a.Stderr, "tcctl:", err)
		fmt.Fprintf(a.Stderr, "Run '%s --help' for usage.\n", cmd.path())
		return ExitUsage
	}
	if cmd.Setup == nil {
		// A group: its help, on stdout when asked for, else as a usage error.
		if slices.ContainsFunc(rest, isHelp) {
			a.help(a.Stdout, cmd, nil)
			return ExitOK
		}
		a.help(a.Stderr, cmd, nil)
		return ExitUsage
	}
	fs := flag.NewFlagSet(cmd.path(), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := cmd.Setup(fs)
	a.globalFlags(fs)
	pos, err := parseInterspersed(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		a.help(a.Stdout, cmd, fs)
		return ExitOK
	}
	if err != nil {
		fmt.Fprintln(a.Stderr, "tcctl:", err)
		fmt.Fprintf(a.Stderr, "Run '%s --help' for usage.\n", cmd.path())
		return ExitUsage
	}
	switch a.output {
	case "table", "json", "yaml":
	default:
		fmt.Fprintf(a.Stderr, "tcctl: -o must be table, json or yaml, not %q\n", a.output)
		return ExitUsage
	}
	ctx := context.Background()
	if a.Interrupt {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
	}
	err = run(ctx, a, pos)
	if err != nil && err != errSilent {
		if e, ok := errors.AsType[*exitError](err); !ok || e.msg != "" {
			fmt.Fprintln(a.Stderr, "tcctl:", err)
		}
		if _, ok := errors.AsType[*usageError](err); ok {
			fmt.Fprintf(a.Stderr, "Run '%s --help' for usage.\n", cmd.path())
		}
	}
	return ExitCode(err)
}

func isHelp(s string) bool { return s == "-h" || s == "--help" || s == "-help" || s == "help" }

// find walks args down the command tree: the words that name subcommands
// are taken out, every other argument is left for the leaf's flags.
func find(root *Command, args []string) (*Command, []string, error) {
	cmd := root
	var rest []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if len(cmd.Subs) == 0 {
			rest = append(rest, args[i:]...)
			break
		}
		if strings.HasPrefix(arg, "-") {
			rest = append(rest, arg)
			if slices.Contains(globalValueFlags, arg) && i+1 < len(args) {
				rest = append(rest, args[i+1])
				i++
			}
			continue
		}
		if arg == "help" {
			rest = append(rest, "--help")
			continue
		}
		s := cmd.sub(arg)
		if s == nil {
			return cmd, nil, usagef("unknown command %q for %q", arg, cmd.path())
		}
		cmd = s
	}
	return cmd, rest, nil
}

// parseInterspersed parses flags wherever they stand among the positional
// arguments; everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if consumed := len(args) - len(left); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, left...), nil
		}
		if len(left) == 0 {
			return pos, nil
		}
		pos = append(pos, left[0])
		args = left[1:]
	}
}

// globalFlags registers the flags every command takes.
func (a *App) globalFlags(fs *flag.FlagSet) {
	if fs.Lookup("o") == nil {
		fs.StringVar(&a.output, "o", "table", "output format: table, json or yaml")
		fs.StringVar(&a.output, "output", "table", "output format: table, json or yaml")
	}
	fs.StringVar(&a.contextName, "context", "", "the context to use instead of the current one")
}

var globalNames = []string{"o", "output", "context"}

// help prints the help of cmd; fs holds a leaf's flags.
func (a *App) help(w io.Writer, cmd *Command, fs *flag.FlagSet) {
	if cmd.Setup != nil && fs == nil {
		fs = flag.NewFlagSet(cmd.path(), flag.ContinueOnError)
		cmd.Setup(fs)
		a.globalFlags(fs)
	}
	if cmd.Long != "" {
		fmt.Fprintln(w, strings.TrimSpace(cmd.Long))
	} else {
		fmt.Fprintln(w, cmd.Short)
	}
	fmt.Fprintln(w)
	if len(cmd.Subs) > 0 {
		fmt.Fprintf(w, "Usage:\n  %s COMMAND [flags]\n\nCommands:\n", cmd.path())
		for _, s := range cmd.Subs {
			fmt.Fprintf(w, "  %-12s %s\n", s.Name, s.Short)
		}
	} else {
		args := cmd.Args
		if args == "" {
			args = "[flags]"
		}
		fmt.Fprintf(w, "Usage:\n  %s %s\n", cmd.path(), args)
	}
	if cmd.Examples != "" {
		fmt.Fprintln(w, "\nExamples:")
		for _, l := range strings.Split(strings.TrimSpace(cmd.Examples), "\n") {
			fmt.Fprintln(w, "  "+strings.TrimSpace(l))
		}
	}
	if fs != nil {
		var own []*flag.Flag
		fs.VisitAll(func(f *flag.Flag) {
			if !slices.Contains(globalNames, f.Name) {
				own = append(own, f)
			}
		})
		if len(own) > 0 {
			fmt.Fprintln(w, "\nFlags:")
			printFlags(w, own)
		}
	}
	fmt.Fprintln(w, "\nGlobal flags:")
	fmt.Fprintln(w, "  -o, --output FORMAT   table (default), json or yaml")
	fmt.Fprintln(w, "      --context NAME    use this context instead of the current one")
	fmt.Fprintln(w, "  -h, --help            this help")
	if len(cmd.Subs) > 0 {
		fmt.Fprintf(w, "\nRun '%s COMMAND --help' for a command's flags and examples.\n", cmd.path())
	}
}

func printFlags(w io.Writer, flags []*flag.Flag) {
	sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	for _, f := range flags {
		name, usage := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		head := dash + f.Name
		if name != "" {
			head += " " + name
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  %-28s %s%s\n", head, usage, def)
	}
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// args checks the count of positional arguments.
func wantArgs(args []string, min, max int, what string) error {
	if len(args) < min {
		return usagef("missing %s", what)
	}
	if max >= 0 && len(args) > max {
		return usagef("unexpected argument %q", args[max])
	}
	return nil
}

// clientRunner is the Runner of a command that talks to the controller:
// it checks the arguments (wantArgs), opens the client, then runs fn.
func clientRunner(min, max int, what string, fn func(ctx context.Context, a *App, c *client.Client, args []string) error) Runner {
	return func(ctx context.Context, a *App, args []string) error {
		if err := wantArgs(args, min, max, what); err != nil {
			return err
		}
		c, err := a.Client()
		if err != nil {
			return err
		}
		return fn(ctx, a, c, args)
	}
}
