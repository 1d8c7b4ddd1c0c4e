package httpx_test

import (
	"io"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

func TestErrorStatusMapping(t *testing.T) {
	for code, want := range map[string]int{
		tc.EINVALID: 400, tc.EUNAUTHORIZED: 401, tc.EFORBIDDEN: 403, tc.ENOTFOUND: 404, tc.EMETHOD: 405,
		tc.ECONFLICT: 409, tc.EGONE: 410, tc.ETOOLARGE: 413, tc.ETOOMANYREQUESTS: 429, tc.EUNAVAILABLE: 503, tc.EBADGATEWAY: 502, tc.EINTERNAL: 500,
	} {
		if got := httpx.StatusOf(tc.Errorf(code, "x")); got != want {
			t.Errorf("%s → %d, want %d", code, got, want)
		}
	}
	if got := httpx.StatusOf(io.EOF); got != 500 {
		t.Errorf("plain error → %d, want 500", got)
	}
}
