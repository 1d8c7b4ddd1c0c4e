package cli

// Root is tcctl's command tree.
func Root() *Command {
	return link(&Command{
		Name:  "tcctl",
		Short: "tcctl talks to a Telegraf Controller over its API",
		Long: `tcctl talks to a Telegraf Controller over its JSON API with an API token.

Start with a context (which controller, which token):
  tcctl context add prod --url https://tc.example.com:8888 --token-env TC_TOKEN
then, for example:
  tcctl configs list
  tcctl apply -f configs/          # dry run: the plan
  tcctl apply -f configs/ --yes    # write it

Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 denied (401/403).`,
		Subs: []*Command{
			configsCommand(),
			groupsCommand(),
			aliasesCommand(),
			constantsCommand(),
			labelsCommand(),
			agentsCommand(),
			tokensCommand(),
			usersCommand(),
			auditCommand(),
			healthCommand(),
			applyCommand(),
			exportCommand(),
			contextCommand(),
			completionCommand(),
			versionCommand(),
		},
	})
}
