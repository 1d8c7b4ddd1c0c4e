// Command tcctl is the controller's command-line client: configs, groups,
// agents, tokens and the rest over the JSON API, and configurations as code
// (tcctl apply -f DIR, tcctl export DIR). main only exits with the code
// internal/cli returns.
package main

import (
	"os"

	"github.com/telegrafcontroller/tc/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
