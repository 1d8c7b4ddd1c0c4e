package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"
)

func completionCommand() *Command {
	return &Command{
		Name: "completion", Short: "Print a shell completion script (bash, zsh or fish)", Args: "bash|zsh|fish",
		Long: `Print a completion script for commands, subcommands and flags.`,
		Examples: `source <(tcctl completion bash)            # bash, this shell
tcctl completion bash > /etc/bash_completion.d/tcctl
source <(tcctl completion zsh)             # zsh (uses bashcompinit)
tcctl completion fish > ~/.config/fish/completions/tcctl.fish`,
		Setup: func(fs *flag.FlagSet) Runner {
			return func(ctx context.Context, a *App, args []string) error {
				if err := wantArgs(args, 1, 1, "the shell: bash, zsh or fish"); err != nil {
					return err
				}
				root := Root()
				switch args[0] {
				case "bash":
					writeBash(a.Stdout, root, false)
				case "zsh":
					writeBash(a.Stdout, root, true)
				case "fish":
					writeFish(a.Stdout, root)
				default:
					return usagef("unknown shell %q: bash, zsh or fish", args[0])
				}
				return nil
			}
		},
	}
}

// words lists what may follow cmd: its subcommands, or its flags.
func words(cmd *Command) []string {
	var out []string
	for _, s := range cmd.Subs {
		out = append(out, s.Name)
	}
	if cmd.Setup != nil {
		fs := flag.NewFlagSet("", flag.ContinueOnError)
		cmd.Setup(fs)
		fs.VisitAll(func(f *flag.Flag) { out = append(out, "--"+f.Name) })
	}
	out = append(out, "--output", "--context", "--help")
	sort.Strings(out)
	return out
}

func walk(cmd *Command, fn func(*Command)) {
	fn(cmd)
	for _, s := range cmd.Subs {
		walk(s, fn)
	}
}

// writeBash writes a bash completion function (zsh runs it through
// bashcompinit): the words of the command path typed so far.
func writeBash(w io.Writer, root *Command, zsh bool) {
	if zsh {
		fmt.Fprintln(w, "#compdef tcctl\nautoload -U +X bashcompinit && bashcompinit")
	}
	fmt.Fprintln(w, `_tcctl() {
  local cur path w i words
  cur="${COMP_WORDS[COMP_CWORD]}"
  path="tcctl"
  for ((i=1; i<COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    case "$w" in -*) continue;; esac
    case "$path $w" in`)
	var paths []string
	walk(root, func(c *Command) {
		if c.parent != nil {
			paths = append(paths, c.path())
		}
	})
	fmt.Fprintf(w, "      %s) path=\"$path $w\";;\n", quoteAll(paths))
	fmt.Fprintln(w, `    esac
  done
  case "$path" in`)
	walk(root, func(c *Command) {
		fmt.Fprintf(w, "    %q) words=%q;;\n", c.path(), strings.Join(words(c), " "))
	})
	fmt.Fprintln(w, `  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F _tcctl tcctl`)
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, "|")
}

// writeFish writes fish completions: subcommands under their parent, flags
// under their command.
func writeFish(w io.Writer, root *Command) {
	fmt.Fprintln(w, "complete -c tcctl -f")
	walk(root, func(c *Command) {
		cond := "__fish_use_subcommand"
		if c.parent != nil {
			cond = "__fish_seen_subcommand_from " + c.Name
		}
		for _, s := range c.Subs {
			if c.parent == nil {
				fmt.Fprintf(w, "complete -c tcctl -n '%s' -a %s -d %q\n", cond, s.Name, s.Short)
			} else {
				fmt.Fprintf(w, "complete -c tcctl -n '%s' -a %s -d %q\n", cond, s.Name, s.Short)
			}
		}
		if c.Setup != nil {
			fs := flag.NewFlagSet("", flag.ContinueOnError)
			c.Setup(fs)
			fs.VisitAll(func(f *flag.Flag) {
				if len(f.Name) > 1 {
					fmt.Fprintf(w, "complete -c tcctl -n '__fish_seen_subcommand_from %s' -l %s -d %q\n", c.Name, f.Name, f.Usage)
				}
			})
		}
	})
	fmt.Fprintln(w, "complete -c tcctl -s o -l output -x -a 'table json yaml' -d 'output format'")
	fmt.Fprintln(w, "complete -c tcctl -l context -x -d 'context to use'")
}

func versionCommand() *Command {
	return &Command{
		Name: "version", Short: "Print tcctl's version", Args: "",
		Examples: `tcctl version`,
		Setup: func(fs *flag.FlagSet) Runner {
			return func(ctx context.Context, a *App, args []string) error {
				v := "(devel)"
				if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
					v = bi.Main.Version
				}
				fmt.Fprintln(a.Stdout, "tcctl", v)
				return nil
			}
		},
	}
}
