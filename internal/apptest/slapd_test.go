package apptest

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"slices"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
)

// TestSlapd checks the harness itself: the overlay fills memberOf,
// SetGroups moves it, LDAPS serves the test CA's certificate, the ACLs hide
// entries from anonymous searches, and the server survives a restart.
func TestSlapd(t *testing.T) {
	s := StartSlapd(t)
	memberOf := func(url string, tlsCfg *tls.Config, uid string) []string {
		t.Helper()
		c, err := goldap.DialURL(url, goldap.DialWithTLSConfig(tlsCfg))
		if err != nil {
			t.Fatalf("dial %s: %v", url, err)
		}
		defer c.Close()
		if err := c.Bind(s.BindDN, s.BindPassword); err != nil {
			t.Fatalf("service bind: %v", err)
		}
		res, err := c.Search(goldap.NewSearchRequest(s.Base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false,
			"(uid="+goldap.EscapeFilter(uid)+")", []string{"memberOf"}, nil))
		if err != nil || len(res.Entries) != 1 {
			t.Fatalf("search %s: %v, %d entries", uid, err, len(res.Entries))
		}
		got := res.Entries[0].GetAttributeValues("memberOf")
		slices.Sort(got)
		return got
	}

	if got, want := memberOf(s.URL, nil, "alice"), []string{GroupDN("managers"), GroupDN("staff")}; !slices.Equal(got, want) {
		t.Errorf("alice memberOf = %q, want %q", got, want)
	}
	if got := memberOf(s.URL, nil, "carol"); len(got) != 0 {
		t.Errorf("carol memberOf = %q, want none", got)
	}

	s.SetGroups(t, "alice", "staff", "auditors")
	if got, want := memberOf(s.URL, nil, "alice"), []string{GroupDN("auditors"), GroupDN("staff")}; !slices.Equal(got, want) {
		t.Errorf("after SetGroups, alice memberOf = %q, want %q", got, want)
	}
	s.SetGroups(t, "bob")
	if got := memberOf(s.URL, nil, "bob"); len(got) != 0 {
		t.Errorf("after SetGroups to none, bob memberOf = %q, want none", got)
	}

	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("CAFile holds no certificate")
	}
	if got := memberOf(s.LDAPSURL, &tls.Config{RootCAs: roots}, "carol"); len(got) != 0 {
		t.Errorf("over LDAPS, carol memberOf = %q, want none", got)
	}

	c, err := goldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Search(goldap.NewSearchRequest(s.Base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false,
		"(uid=*)", nil, nil))
	c.Close()
	if err == nil && len(res.Entries) > 0 {
		t.Errorf("anonymous search found %d entries, want none", len(res.Entries))
	}

	s.Stop()
	if _, err := goldap.DialURL(s.URL); err == nil {
		t.Error("dial after Stop succeeded")
	}
	s.Start(t)
	if got, want := memberOf(s.URL, nil, "alice"), []string{GroupDN("auditors"), GroupDN("staff")}; !slices.Equal(got, want) {
		t.Errorf("after restart, alice memberOf = %q, want %q", got, want)
	}
}
