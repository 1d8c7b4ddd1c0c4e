package render

import (
	"strings"

	"github.com/telegrafcontroller/tc"
)

// Member is one config of a group, parsed, with the comment that precedes
// it in the group's render (tc.GroupMemberHeader).
type Member struct {
	Header string
	Tmpl   *Template
}

// RenderGroup appends the members' renders to dst, in order, each after its
// header, all from the same query and constants. Every problem of every
// member is reported at once in one EINVALID error: the required
// parameters missing from any member (each named once), the undefined
// constants, then each member's refused values, named by its header.
func RenderGroup(dst []byte, members []Member, query map[string][]string, constants map[string]string) ([]byte, error) {
	var missing, undefined []string
	for _, m := range members {
		for i, name := range m.Tmpl.params {
			if vs := query[name]; len(vs) == 0 && m.Tmpl.required[i] && !contains(missing, name) {
				missing = append(missing, name)
			}
		}
		for _, n := range m.Tmpl.Constants {
			if _, ok := constants[n]; !ok && !contains(undefined, n) {
				undefined = append(undefined, n)
			}
		}
	}
	if missing != nil || undefined != nil {
		var msgs []string
		if missing != nil {
			msgs = append(msgs, "missing required parameters: "+strings.Join(missing, ", "))
		}
		if undefined != nil {
			msgs = append(msgs, "undefined constants: "+strings.Join(undefined, ", "))
		}
		return dst, tc.Errorf(tc.EINVALID, "%s", strings.Join(msgs, "; "))
	}
	start := len(dst)
	var refused []string
	for _, m := range members {
		dst = append(dst, m.Header...)
		var err error
		if dst, err = m.Tmpl.Render(dst, query, constants); err != nil {
			refused = append(refused, strings.TrimSpace(strings.TrimPrefix(m.Header, "#"))+": "+errorMessage(err))
			continue
		}
		if n := len(dst); n > start && dst[n-1] != '\n' {
			dst = append(dst, '\n')
		}
	}
	if refused != nil {
		return dst[:start], tc.Errorf(tc.EINVALID, "%s", strings.Join(refused, "; "))
	}
	return dst, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// errorMessage is the message of a domain error, or its text.
func errorMessage(err error) string {
	if e, ok := err.(*tc.Error); ok {
		return e.Message
	}
	return err.Error()
}
