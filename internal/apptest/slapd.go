package apptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"maps"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// SlapdEnv names the variable that may hold the path of slapd (default:
// slapd on PATH, else /usr/sbin/slapd; scripts/test installs Debian's
// slapd). The configuration assumes Debian's layout: schemas in
// /etc/ldap/schema, modules in /usr/lib/ldap.
const SlapdEnv = "TC_TEST_SLAPD"

var slapdNotice sync.Once

// RequireSlapd returns the slapd binary, skipping tb loudly when there is
// none (failing it when CI is set).
func RequireSlapd(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv(SlapdEnv); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			tb.Fatalf("%s=%s: %v", SlapdEnv, bin, err)
		}
		return bin
	}
	if bin, err := exec.LookPath("slapd"); err == nil {
		return bin
	}
	if _, err := os.Stat("/usr/sbin/slapd"); err == nil {
		return "/usr/sbin/slapd"
	}
	missing(tb, &slapdNotice, "LDAP TESTS", "LDAP sign-in tests need OpenLDAP's slapd (apt-get install slapd; ./scripts/test installs it)")
	return ""
}

// The directory StartSlapd seeds: the base, its root DN (used only by the
// harness to write) and the two organisational units.
const (
	SlapdBase     = "dc=example,dc=org"
	slapdAdminDN  = "cn=admin," + SlapdBase
	slapdAdminPW  = "admin-secret"
	slapdPeople   = "ou=people," + SlapdBase
	slapdGroupsOU = "ou=groups," + SlapdBase
)

// SlapdUser is a person StartSlapd puts in ou=people.
type SlapdUser struct {
	UID, Password, Mail, DisplayName string
	DN                               string
	Groups                           []string // cn of each group in ou=groups
}

// SlapdUsers are the seeded people, each with a password of its own. The
// last one's uid is a filter injection attempt; its entry is named by cn,
// so that binding by the DN the search found is what lets it in.
var SlapdUsers = []SlapdUser{
	{UID: "alice", Password: "alice-secret", Mail: "alice@example.org", DisplayName: "Alice Liddell",
		DN: "uid=alice," + slapdPeople, Groups: []string{"managers", "staff"}},
	{UID: "bob", Password: "bob-secret", Mail: "bob@example.org", DisplayName: "Bob Builder",
		DN: "uid=bob," + slapdPeople, Groups: []string{"staff"}},
	{UID: "carol", Password: "carol-secret", Mail: "carol@example.org", DisplayName: "Carol Danvers",
		DN: "uid=carol," + slapdPeople},
	{UID: "a*)(uid=*", Password: "injector-secret", Mail: "injector@example.org", DisplayName: "Injector",
		DN: "cn=injector," + slapdPeople},
}

// GroupDN returns the DN of the group named cn, as memberOf lists it.
func GroupDN(cn string) string { return "cn=" + cn + "," + slapdGroupsOU }

// Slapd is a real OpenLDAP server on loopback, serving plain LDAP (with
// StartTLS) and LDAPS with a certificate from a throwaway CA. The memberof
// overlay maintains users' memberOf from the groups' member attributes, as
// in a real directory.
type Slapd struct {
	URL          string // ldap://127.0.0.1:port (StartTLS offered)
	LDAPSURL     string // ldaps://127.0.0.1:port
	CAFile       string // PEM of the CA that signed the server certificate
	BindDN       string // the service account that searches
	BindPassword string
	Base         string

	dir, bin string
	cmd      *exec.Cmd
	done     chan struct{}
	log      *SafeBuffer
}

// StartSlapd writes a throwaway CA, server certificate and slapd.conf, runs
// slapd in the foreground until tb's cleanup, and seeds it with SlapdUsers,
// their groups and the service account.
func StartSlapd(tb testing.TB) *Slapd {
	tb.Helper()
	bin := RequireSlapd(tb)
	dir := tb.TempDir()
	s := &Slapd{dir: dir, bin: bin, Base: SlapdBase,
		URL:      fmt.Sprintf("ldap://127.0.0.1:%d", freePort(tb)),
		LDAPSURL: fmt.Sprintf("ldaps://127.0.0.1:%d", freePort(tb)),
		CAFile:   filepath.Join(dir, "ca.pem"), BindDN: "cn=svc," + SlapdBase, BindPassword: "svc-secret"}
	writeTestPKI(tb, dir)
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		tb.Fatal(err)
	}
	// Without TLSVerifyClient slapd asks no client certificate. The ACLs are
	// a directory's usual: passwords usable only to bind, entries readable
	// only by a bound user, so the service account's bind matters.
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
TLSCACertificateFile %[1]s/ca.pem
TLSCertificateFile %[1]s/server.pem
TLSCertificateKeyFile %[1]s/server.key
database mdb
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/data
maxsize 33554432
dbnosync
overlay memberof
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
`, dir, SlapdBase, slapdAdminDN, SSHA(slapdAdminPW))
	if err := os.WriteFile(filepath.Join(dir, "slapd.conf"), []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	s.Start(tb)
	tb.Cleanup(s.Stop)
	s.seed(tb)
	return s
}

// Start (re)starts slapd on the same ports and data, returning once it
// accepts a bind.
func (s *Slapd) Start(tb testing.TB) {
	tb.Helper()
	s.log, s.done = &SafeBuffer{}, make(chan struct{})
	// -d keeps slapd in the foreground (level 0: errors only).
	s.cmd = exec.Command(s.bin, "-d", "0", "-f", filepath.Join(s.dir, "slapd.conf"), "-h", s.URL+"/ "+s.LDAPSURL+"/")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("start slapd: %v", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-s.done:
			tb.Fatalf("slapd exited: %s", s.log.String())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			tb.Fatalf("slapd did not accept a bind in 30s: %s", s.log.String())
		}
		if c, err := s.admin(); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends slapd (a directory that is down); Start brings it back.
func (s *Slapd) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// admin dials the plain listener and binds as the root DN.
func (s *Slapd) admin() (*goldap.Conn, error) {
	c, err := goldap.DialURL(s.URL, goldap.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}))
	if err != nil {
		return nil, err
	}
	c.SetTimeout(10 * time.Second)
	if err := c.Bind(slapdAdminDN, slapdAdminPW); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (s *Slapd) mustAdmin(tb testing.TB) *goldap.Conn {
	tb.Helper()
	c, err := s.admin()
	if err != nil {
		tb.Fatalf("bind to slapd as admin: %v", err)
	}
	return c
}

// seed adds the entries over LDAP rather than with slapadd, so that the
// memberof overlay sees the groups being written and fills in memberOf.
func (s *Slapd) seed(tb testing.TB) {
	tb.Helper()
	c := s.mustAdmin(tb)
	defer c.Close()
	add := func(dn string, attrs map[string][]string) {
		tb.Helper()
		req := goldap.NewAddRequest(dn, nil)
		for _, k := range slices.Sorted(maps.Keys(attrs)) {
			req.Attribute(k, attrs[k])
		}
		if err := c.Add(req); err != nil {
			tb.Fatalf("seed slapd: add %s: %v", dn, err)
		}
	}
	add(SlapdBase, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"}})
	add(s.BindDN, map[string][]string{"objectClass": {"organizationalRole", "simpleSecurityObject"}, "cn": {"svc"},
		"userPassword": {SSHA(s.BindPassword)}})
	add(slapdPeople, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"people"}})
	add(slapdGroupsOU, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"groups"}})
	members := map[string][]string{}
	for _, u := range SlapdUsers {
		cn, _, _ := strings.Cut(u.DisplayName, " ")
		add(u.DN, map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {u.UID}, "cn": {cn},
			"sn": {u.DisplayName}, "mail": {u.Mail}, "displayName": {u.DisplayName}, "userPassword": {SSHA(u.Password)}})
		for _, g := range u.Groups {
			members[g] = append(members[g], u.DN)
		}
	}
	for _, g := range slices.Sorted(maps.Keys(members)) {
		// groupOfNames needs a member; the service account is the one that
		// stays when SetGroups empties a group.
		add(GroupDN(g), map[string][]string{"objectClass": {"groupOfNames"}, "cn": {g}, "member": append([]string{s.BindDN}, members[g]...)})
	}
}

// SetGroups makes the user with uid a member of exactly groups (cn values),
// creating any group that does not exist; memberOf follows.
func (s *Slapd) SetGroups(tb testing.TB, uid string, groups ...string) {
	tb.Helper()
	var dn string
	for _, u := range SlapdUsers {
		if u.UID == uid {
			dn = u.DN
		}
	}
	if dn == "" {
		tb.Fatalf("SetGroups: no seeded user %q", uid)
	}
	c := s.mustAdmin(tb)
	defer c.Close()
	res, err := c.Search(goldap.NewSearchRequest(slapdGroupsOU, goldap.ScopeSingleLevel, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=groupOfNames)", []string{"cn", "member"}, nil))
	if err != nil {
		tb.Fatalf("SetGroups: list groups: %v", err)
	}
	existing := map[string]bool{}
	for _, e := range res.Entries {
		cn := e.GetAttributeValue("cn")
		existing[cn] = true
		has := slices.ContainsFunc(e.GetAttributeValues("member"), func(m string) bool { return equalDN(m, dn) })
		want := slices.Contains(groups, cn)
		if has == want {
			continue
		}
		req := goldap.NewModifyRequest(e.DN, nil)
		if want {
			req.Add("member", []string{dn})
		} else {
			req.Delete("member", []string{dn})
		}
		if err := c.Modify(req); err != nil {
			tb.Fatalf("SetGroups: modify %s: %v", e.DN, err)
		}
	}
	for _, g := range groups {
		if existing[g] {
			continue
		}
		req := goldap.NewAddRequest(GroupDN(g), nil)
		req.Attribute("objectClass", []string{"groupOfNames"})
		req.Attribute("cn", []string{g})
		req.Attribute("member", []string{s.BindDN, dn})
		if err := c.Add(req); err != nil {
			tb.Fatalf("SetGroups: add %s: %v", g, err)
		}
	}
}

func equalDN(a, b string) bool {
	da, errA := goldap.ParseDN(a)
	db, errB := goldap.ParseDN(b)
	return errA == nil && errB == nil && da.EqualFold(db)
}

// SSHA hashes password as OpenLDAP's {SSHA} scheme stores it: SHA-1 over the
// password and a random salt, followed by the salt, in base64.
func SSHA(password string) string {
	salt := make([]byte, 8)
	rand.Read(salt)
	sum := sha1.Sum(append([]byte(password), salt...))
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
}

// writeTestPKI writes ca.pem, server.pem and server.key into dir: a
// throwaway ECDSA CA and a server certificate it signs for 127.0.0.1 and
// localhost.
func writeTestPKI(tb testing.TB, dir string) {
	tb.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tc test LDAP CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"ca.pem":     {Type: "CERTIFICATE", Bytes: caDER},
		"server.pem": {Type: "CERTIFICATE", Bytes: der},
		"server.key": {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
}
