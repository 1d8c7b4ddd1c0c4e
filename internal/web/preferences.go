package web

import (
	"net/http"
	"slices"

	"github.com/telegrafcontroller/tc"
)

// columnChoice is one optional column of the agents list in its chooser.
type columnChoice struct {
	Key, Label string
	Shown      bool
}

// agentColumnLabels names the agents list's optional columns (the column
// headings).
var agentColumnLabels = map[string]string{
	tc.AgentColumnLastSeen: "Last reported", tc.AgentColumnProblem: "Last problem", tc.AgentColumnErrors: "Err / warn",
	tc.AgentColumnVersion: "Version", tc.AgentColumnHostname: "Hostname", tc.AgentColumnIP: "IP address", tc.AgentColumnLabels: "Labels",
}

// columnChoices lists every optional column with whether p shows it.
func columnChoices(p tc.Preferences) []columnChoice {
	out := make([]columnChoice, len(tc.AgentColumns))
	for i, c := range tc.AgentColumns {
		out[i] = columnChoice{Key: c, Label: agentColumnLabels[c], Shown: p.ShowsAgentColumn(c)}
	}
	return out
}

// preferences reads the visitor's UI preferences; a caller the service
// refuses (a token on a page) sees the defaults.
func (v *view) preferences() (tc.Preferences, error) {
	p, err := v.h.Users.Preferences(v.ctx())
	if err = optional(err); err != nil {
		return tc.Preferences{}, err
	}
	return p, nil
}

// savePreferences is the column chooser's form without JavaScript (with it,
// the page PUTs /api/account/preferences): every column box of the form
// posts as "columns", the density as "compactRows", and the browser goes
// back to "next", a path of this site.
func (h *Handler) savePreferences(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := r.ParseForm(); err != nil {
		return tc.Errorf(tc.EINVALID, "The form could not be read.")
	}
	p := tc.Preferences{AgentColumns: slices.Clone(r.PostForm["columns"]), CompactRows: r.PostForm.Get("compactRows") != ""}
	if p.AgentColumns == nil {
		p.AgentColumns = []string{} // every box unticked: no optional column
	}
	if _, err := h.Users.SetPreferences(v.ctx(), p); err != nil {
		return err
	}
	http.Redirect(w, r, signInTarget(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}
