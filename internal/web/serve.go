package web

import (
	"net/url"
	"strconv"

	"github.com/telegrafcontroller/tc"
)

// configVersions is the config page's "versions agents run" bars
// (templates/partials/serve.html): one row per version, each a link to the
// agents page filtered to it.
type configVersions struct {
	Rows                 []versionRow
	StaleURL, CurrentURL string
}

type versionRow struct {
	Version int
	Agents  int64
	Current bool    // the version of the config's current revision
	Percent float64 // of the agents linked to the config
	URL     string
}

func newConfigVersions(configID string, counts []tc.ConfigVersionCount) *configVersions {
	link := func(k, v string) string {
		return "/agents?" + url.Values{"configId": {configID}, k: {v}}.Encode()
	}
	var total int64
	for _, c := range counts {
		total += c.Agents
	}
	cv := &configVersions{StaleURL: link("configState", tc.ConfigStale), CurrentURL: link("configState", tc.ConfigCurrent)}
	for _, c := range counts {
		r := versionRow{Version: c.Version, Agents: c.Agents, Current: c.Current > 0 && c.Current == c.Agents,
			Percent: percent(int(c.Agents), int(total))}
		if c.Version > 0 {
			r.URL = link("configVersion", strconv.Itoa(c.Version))
		} else {
			r.URL = link("configState", tc.ConfigUnknown)
		}
		cv.Rows = append(cv.Rows, r)
	}
	return cv
}
