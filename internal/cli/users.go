package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/client"
)

// resolveUser finds a user by id, username or email.
func resolveUser(ctx context.Context, c *client.Client, ref string) (*tc.User, error) {
	us, err := c.Users(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		if u.ID == ref || strings.EqualFold(u.Username, ref) || strings.EqualFold(u.Email, ref) {
			return u, nil
		}
	}
	return nil, notFoundf("no user with the id, username or email %q", ref)
}

func usersCommand() *Command {
	patch := func(what string, build func(args []string) (client.UserPatch, error), min int) Runner {
		return func(ctx context.Context, a *App, args []string) error {
			if err := wantArgs(args, min, min, "the USER (id, username or email)"); err != nil {
				return err
			}
			p, err := build(args)
			if err != nil {
				return err
			}
			c, err := a.Client()
			if err != nil {
				return err
			}
			u, err := resolveUser(ctx, c, args[0])
			if err != nil {
				return err
			}
			u, err = c.UpdateUser(ctx, u.ID, p)
			if err != nil {
				return err
			}
			return a.print(u, func(w *tabwriter.Writer) { fmt.Fprintf(w, "User %q %s.\n", u.Username, what) })
		}
	}
	return &Command{
		Name: "users", Aliases: []string{"user"},
		Short: "Users: list, show, change role, disable, enable, delete",
		Long:  "Users of the controller. A user is named by id, username or email. New users join through invites (in the UI).",
		Subs: []*Command{
			{
				Name: "list", Aliases: []string{"ls"}, Short: "List users", Args: "",
				Examples: `tcctl users list
tcctl users list -o json`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(0, 0, "", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						us, err := c.Users(ctx)
						if err != nil {
							return err
						}
						return a.print(client.List[*tc.User]{Items: us, Total: int64(len(us))}, func(w *tabwriter.Writer) {
							fmt.Fprintln(w, "ID\tUSERNAME\tEMAIL\tROLE\tSTATE\tSIGN-IN\tLAST SIGN-IN")
							for _, u := range us {
								st := "active"
								if u.Disabled {
									st = "disabled"
								}
								fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Email, u.Role, st, u.AuthProvider, a.ago(u.LastLoginAt))
							}
						})
					})
				},
			},
			{
				Name: "get", Aliases: []string{"show"}, Short: "Show a user", Args: "USER",
				Examples: `tcctl users get alice`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(1, 1, "the USER (id, username or email)", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						u, err := resolveUser(ctx, c, args[0])
						if err != nil {
							return err
						}
						return a.print(u, func(w *tabwriter.Writer) {
							fmt.Fprintf(w, "ID:\t%s\nUsername:\t%s\nEmail:\t%s\nRole:\t%s\nDisabled:\t%v\nSign-in:\t%s\nLast sign-in:\t%s\n",
								u.ID, u.Username, u.Email, u.Role, u.Disabled, u.AuthProvider, when(u.LastLoginAt))
						})
					})
				},
			},
			{
				Name: "set-role", Short: "Change a user's role", Args: "USER administrator|manager|viewer",
				Examples: `tcctl users set-role alice manager`,
				Setup: func(fs *flag.FlagSet) Runner {
					return patch("changed", func(args []string) (client.UserPatch, error) {
						switch args[1] {
						case "administrator", "manager", "viewer":
						default:
							return client.UserPatch{}, usagef("a role is administrator, manager or viewer, not %q", args[1])
						}
						return client.UserPatch{Role: &args[1]}, nil
					}, 2)
				},
			},
			{
				Name: "disable", Short: "Disable a user (their sessions and tokens stop working)", Args: "USER",
				Examples: `tcctl users disable bob`,
				Setup: func(fs *flag.FlagSet) Runner {
					return patch("disabled", func([]string) (client.UserPatch, error) { t := true; return client.UserPatch{Disabled: &t}, nil }, 1)
				},
			},
			{
				Name: "enable", Short: "Enable a disabled user", Args: "USER",
				Examples: `tcctl users enable bob`,
				Setup: func(fs *flag.FlagSet) Runner {
					return patch("enabled", func([]string) (client.UserPatch, error) { f := false; return client.UserPatch{Disabled: &f}, nil }, 1)
				},
			},
			{
				Name: "delete", Aliases: []string{"rm"}, Short: "Delete a user with their tokens and sessions", Args: "USER",
				Examples: `tcctl users delete bob`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(1, 1, "the USER (id, username or email)", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						u, err := resolveUser(ctx, c, args[0])
						if err != nil {
							return err
						}
						if err := c.DeleteUser(ctx, u.ID); err != nil {
							return err
						}
						fmt.Fprintf(a.Stdout, "User %q deleted.\n", u.Username)
						return nil
					})
				},
			},
		},
	}
}
