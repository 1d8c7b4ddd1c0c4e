package httpx_test

import (
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

func TestCheckJSONText(t *testing.T) {
	for _, c := range []struct {
		body string
		want string // error code, "" for none
	}{
		{`{"name": "plain"}`, ""},
		{`{"name": "caf\u00e9 ☕"}`, ""},
		{`{"name": "a\u0000b"}`, tc.EINVALID},
		{`{"a\u0000": 1}`, tc.EINVALID},
		{`["\u0000"]`, tc.EINVALID},
		{`{"name": "a\\u0000b"}`, ""},           // a backslash, then the text u0000
		{`{"name": "a\\\u0000b"}`, tc.EINVALID}, // a backslash, then NUL
		{`{"name": "a\\\\u0000b"}`, ""},         // two backslashes, then text
		{`{"name": "a\u00001"}`, tc.EINVALID},
		{"{\"name\": \"\xff\xfe\"}", tc.EINVALID},     // invalid UTF-8
		{"{\"name\": \"\xed\xa0\x80\"}", tc.EINVALID}, // an encoded surrogate
	} {
		got := ""
		if err := httpx.ValidateJSONText([]byte(c.body)); err != nil {
			got = tc.ErrorCode(err)
		}
		if got != c.want {
			t.Errorf("ValidateJSONText(%q) = %q, want %q", c.body, got, c.want)
		}
	}
}
