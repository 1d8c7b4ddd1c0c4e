package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/goccy/go-yaml"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/client"
)

// ConfigFile is tcctl's configuration file: the contexts, like kubectl's.
// It is written 0600 and holds a token only for a context added with
// --store-token; otherwise a context names the environment variable that
// holds its token.
type ConfigFile struct {
	CurrentContext string      `yaml:"current-context,omitempty" json:"currentContext,omitempty"`
	Contexts       []*CtxEntry `yaml:"contexts" json:"contexts"`
}

// CtxEntry is one controller to talk to.
type CtxEntry struct {
	Name     string `yaml:"name" json:"name"`
	URL      string `yaml:"url" json:"url"`
	TokenEnv string `yaml:"token-env,omitempty" json:"tokenEnv,omitempty"`
	Token    string `yaml:"token,omitempty" json:"-"`
	CAFile   string `yaml:"ca-file,omitempty" json:"caFile,omitempty"`
	Insecure bool   `yaml:"insecure,omitempty" json:"insecure,omitempty"`
}

func (f *ConfigFile) find(name string) *CtxEntry {
	for _, c := range f.Contexts {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// configPath is $XDG_CONFIG_HOME/tcctl/config, or ~/.config/tcctl/config.
func (a *App) configPath() (string, error) {
	if d := a.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "tcctl", "config"), nil
	}
	home := a.Getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("find the configuration file: set XDG_CONFIG_HOME or HOME")
		}
	}
	return filepath.Join(home, ".config", "tcctl", "config"), nil
}

// loadConfig reads the configuration file; a missing file is an empty one.
func (a *App) loadConfig() (*ConfigFile, string, error) {
	p, err := a.configPath()
	if err != nil {
		return nil, "", err
	}
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return &ConfigFile{}, p, nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read configuration: %w", err)
	}
	var f ConfigFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, "", fmt.Errorf("read configuration %s: %w", p, err)
	}
	return &f, p, nil
}

// saveConfig writes the configuration file 0600 (and its directory 0700),
// through a temporary file renamed into place.
func saveConfig(p string, f *ConfigFile) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	b, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".config-*")
	if err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write configuration: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write configuration: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("write configuration: %w", err)
	}
	return nil
}

// Client returns the client of the context in use: --context, else the
// current context; TC_URL and TC_TOKEN override its URL and token (and
// suffice without any context).
func (a *App) Client() (*client.Client, error) {
	if a.cl != nil {
		return a.cl, nil
	}
	f, _, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	name := a.contextName
	if name == "" {
		name = f.CurrentContext
	}
	var cx CtxEntry
	if name != "" {
		c := f.find(name)
		if c == nil && (a.contextName != "" || a.Getenv("TC_URL") == "") {
			return nil, usagef("no context named %q (tcctl context list shows them)", name)
		}
		if c != nil {
			cx = *c
		}
	}
	url, token := cx.URL, cx.Token
	if cx.TokenEnv != "" {
		token = a.Getenv(cx.TokenEnv)
		if token == "" && a.Getenv("TC_TOKEN") == "" {
			return nil, fmt.Errorf("context %q reads its token from $%s, which is empty", cx.Name, cx.TokenEnv)
		}
	}
	if v := a.Getenv("TC_URL"); v != "" {
		url = v
	}
	if v := a.Getenv("TC_TOKEN"); v != "" {
		token = v
	}
	if url == "" {
		return nil, usagef("no controller to talk to: add one with 'tcctl context add NAME --url URL --token-env TC_TOKEN', or set TC_URL")
	}
	if token != "" && !tc.ValidTokenFormat(token) {
		// Say which source, never the value.
		return nil, fmt.Errorf("the token is not a controller API token (tc-apiv1_…): check TC_TOKEN or the context's token")
	}
	if cx.Insecure {
		fmt.Fprintf(a.Stderr, "tcctl: warning: context %q does not verify the controller's TLS certificate (--insecure)\n", cx.Name)
	}
	c, err := client.New(url, token, client.Options{CAFile: cx.CAFile, Insecure: cx.Insecure})
	if err != nil {
		return nil, err
	}
	a.cl = c
	return c, nil
}

func contextCommand() *Command {
	return &Command{
		Name:  "context",
		Short: "Manage contexts: which controller to talk to, with which token",
		Long: `Manage contexts: named controllers with the way to reach them, like kubectl's.

The configuration file is $XDG_CONFIG_HOME/tcctl/config (or ~/.config/tcctl/config),
written with mode 0600. It holds a token only for a context added with
--token-stdin --store-token; otherwise the context names the environment
variable that holds the token (--token-env). TC_URL and TC_TOKEN, when set,
override the context's URL and token.`,
		Subs: []*Command{
			{
				Name: "add", Short: "Add or replace a context and make it current", Args: "NAME --url URL [--token-env VAR | --token-stdin --store-token] [flags]",
				Examples: `tcctl context add prod --url https://tc.example.com:8888 --token-env TC_TOKEN
printf '%s\n' "$TOKEN" | tcctl context add lab --url http://localhost:8888 --token-stdin --store-token
tcctl context add staging --url https://tc.staging:8888 --token-env TC_STAGING_TOKEN --ca-file ca.pem`,
				Setup: func(fs *flag.FlagSet) Runner {
					var url, tokenEnv, caFile string
					var tokenStdin, store, insecure bool
					fs.StringVar(&url, "url", "", "the controller's URL, e.g. https://tc.example.com:8888 (required)")
					fs.StringVar(&tokenEnv, "token-env", "", "environment variable that holds the token (default TC_TOKEN)")
					fs.BoolVar(&tokenStdin, "token-stdin", false, "read the token from standard input (needs --store-token)")
					fs.BoolVar(&store, "store-token", false, "store the token read from standard input in the configuration file (0600)")
					fs.StringVar(&caFile, "ca-file", "", "PEM file of the CA that signed the controller's certificate")
					fs.BoolVar(&insecure, "insecure", false, "do not verify the controller's TLS certificate (prints a warning at every use)")
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 1, 1, "the context's NAME"); err != nil {
							return err
						}
						if url == "" {
							return usagef("--url is required")
						}
						if _, err := client.New(url, "", client.Options{}); err != nil {
							return usagef("%v", err)
						}
						if tokenStdin != store {
							return usagef("--token-stdin and --store-token go together: a token read from standard input is only kept when stored")
						}
						if tokenStdin && tokenEnv != "" {
							return usagef("give --token-env or --token-stdin --store-token, not both")
						}
						cx := &CtxEntry{Name: args[0], URL: strings.TrimRight(url, "/"), TokenEnv: tokenEnv, Insecure: insecure}
						if caFile != "" {
							abs, err := filepath.Abs(caFile)
							if err != nil {
								return err
							}
							if _, err := os.Stat(abs); err != nil {
								return usagef("--ca-file: %v", err)
							}
							cx.CAFile = abs
						}
						if tokenStdin {
							line, err := bufio.NewReader(a.Stdin).ReadString('\n')
							line = strings.TrimSpace(line)
							if line == "" {
								return usagef("no token on standard input (%v)", err)
							}
							if !tc.ValidTokenFormat(line) {
								return usagef("what standard input holds is not a controller API token (tc-apiv1_…)")
							}
							cx.Token = line
						} else if cx.TokenEnv == "" {
							cx.TokenEnv = "TC_TOKEN"
						}
						f, p, err := a.loadConfig()
						if err != nil {
							return err
						}
						if old := f.find(cx.Name); old != nil {
							*old = *cx
						} else {
							f.Contexts = append(f.Contexts, cx)
						}
						f.CurrentContext = cx.Name
						if err := saveConfig(p, f); err != nil {
							return err
						}
						if insecure {
							fmt.Fprintf(a.Stderr, "tcctl: warning: context %q will not verify the controller's TLS certificate\n", cx.Name)
						}
						where := "$" + cx.TokenEnv
						if cx.Token != "" {
							where = p + " (mode 0600)"
						}
						fmt.Fprintf(a.Stdout, "Context %q added and made current: %s, token from %s.\n", cx.Name, cx.URL, where)
						return nil
					}
				},
			},
			{
				Name: "use", Short: "Make a context the current one", Args: "NAME",
				Examples: `tcctl context use prod`,
				Setup: func(fs *flag.FlagSet) Runner {
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 1, 1, "the context's NAME"); err != nil {
							return err
						}
						f, p, err := a.loadConfig()
						if err != nil {
							return err
						}
						if f.find(args[0]) == nil {
							return notFoundf("no context named %q", args[0])
						}
						f.CurrentContext = args[0]
						if err := saveConfig(p, f); err != nil {
							return err
						}
						fmt.Fprintf(a.Stdout, "Current context: %s\n", args[0])
						return nil
					}
				},
			},
			{
				Name: "list", Aliases: []string{"ls"}, Short: "List the contexts", Args: "[flags]",
				Examples: `tcctl context list
tcctl context list -o json`,
				Setup: func(fs *flag.FlagSet) Runner {
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 0, 0, ""); err != nil {
							return err
						}
						f, _, err := a.loadConfig()
						if err != nil {
							return err
						}
						return a.print(f, func(w *tabwriter.Writer) {
							fmt.Fprintln(w, "CURRENT\tNAME\tURL\tTOKEN")
							for _, c := range f.Contexts {
								cur := ""
								if c.Name == f.CurrentContext {
									cur = "*"
								}
								fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", cur, c.Name, c.URL, tokenSource(c))
							}
						})
					}
				},
			},
			{
				Name: "current", Short: "Show the current context and who its token acts as", Args: "[flags]",
				Examples: `tcctl context current`,
				Setup: func(fs *flag.FlagSet) Runner {
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 0, 0, ""); err != nil {
							return err
						}
						f, _, err := a.loadConfig()
						if err != nil {
							return err
						}
						name := a.contextName
						if name == "" {
							name = f.CurrentContext
						}
						c, err := a.Client()
						if err != nil {
							return err
						}
						me, err := c.Me(ctx)
						if err != nil {
							return err
						}
						out := map[string]any{"context": name, "url": c.URL(), "user": me.User.Username, "role": me.Role, "authMethod": me.AuthMethod, "permissions": me.Permissions}
						return a.print(out, func(w *tabwriter.Writer) {
							if name == "" {
								name = "(none: TC_URL)"
							}
							fmt.Fprintf(w, "Context:\t%s\nURL:\t%s\nUser:\t%s (%s)\nPermissions:\t%d\n", name, c.URL(), me.User.Username, me.Role, len(me.Permissions))
						})
					}
				},
			},
			{
				Name: "delete", Aliases: []string{"rm"}, Short: "Delete a context (and any token stored with it)", Args: "NAME",
				Examples: `tcctl context delete lab`,
				Setup: func(fs *flag.FlagSet) Runner {
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 1, 1, "the context's NAME"); err != nil {
							return err
						}
						f, p, err := a.loadConfig()
						if err != nil {
							return err
						}
						i := -1
						for j, c := range f.Contexts {
							if c.Name == args[0] {
								i = j
							}
						}
						if i < 0 {
							return notFoundf("no context named %q", args[0])
						}
						f.Contexts = append(f.Contexts[:i], f.Contexts[i+1:]...)
						if f.CurrentContext == args[0] {
							f.CurrentContext = ""
						}
						if err := saveConfig(p, f); err != nil {
							return err
						}
						fmt.Fprintf(a.Stdout, "Context %q deleted.\n", args[0])
						return nil
					}
				},
			},
		},
	}
}

// tokenSource says where a context's token comes from, never the token.
func tokenSource(c *CtxEntry) string {
	switch {
	case c.TokenEnv != "":
		return "$" + c.TokenEnv
	case c.Token != "":
		return "stored"
	}
	return "none"
}
