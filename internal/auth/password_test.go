package auth_test

import (
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc/internal/app"
	"github.com/telegrafcontroller/tc/internal/auth"
)

// TestProductionArgon2 pins the production cost: tests elsewhere run with
// auth.TestArgon2, so this is where the real parameters are asserted.
func TestProductionArgon2(t *testing.T) {
	p := auth.DefaultArgon2
	if p.MemoryKiB < 19*1024 || p.Time < 2 || p.Threads < 1 || p.KeyLen < 32 || p.SaltLen < 16 {
		t.Fatalf("DefaultArgon2 = %+v, want at least m=19 MiB, t=2, p=1, 32-byte key, 16-byte salt", p)
	}
	if got := app.NewMain().Argon2; got != p {
		t.Fatalf("NewMain().Argon2 = %+v, want DefaultArgon2 %+v", got, p)
	}
	h := auth.NewHasher(p)
	hash, err := h.Hash("pässword with spaces")
	if err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(hash, want) {
		t.Fatalf("hash = %q, want prefix %q", hash, want)
	}
	if ok, rehash := h.Verify(hash, "pässword with spaces"); !ok || rehash {
		t.Fatalf("Check(right) = %v, %v; want true, false", ok, rehash)
	}
}

func TestPasswordHashing(t *testing.T) {
	low := auth.NewHasher(auth.TestArgon2)
	long := strings.Repeat("a", 256)
	hash, err := low.Hash(long)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		password string
		want     bool
	}{
		{"same", long, true},
		{"one character shorter (no truncation)", long[:255], false},
		{"one character more", long + "a", false},
		{"empty", "", false},
	}
	for _, c := range cases {
		if got, _ := low.Verify(hash, c.password); got != c.want {
			t.Errorf("%s: Check = %v, want %v", c.name, got, c.want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=64,t=1,p=1$$", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5"} {
		if ok, _ := low.Verify(bad, "x"); ok {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
	// Raising the cost asks for a rehash of hashes made at the lower one.
	higher := auth.TestArgon2
	higher.Time++
	if ok, rehash := auth.NewHasher(higher).Verify(hash, long); !ok || !rehash {
		t.Fatalf("after raising t: Check = %v, %v; want true, true", ok, rehash)
	}
}

// BenchmarkPasswordHash measures one hash at the production cost, next to
// the test cost as a baseline from the same run.
func BenchmarkPasswordHash(b *testing.B) {
	for _, c := range []struct {
		name string
		p    auth.Argon2Params
	}{{"production", auth.DefaultArgon2}, {"test-baseline", auth.TestArgon2}} {
		b.Run(c.name, func(b *testing.B) {
			h := auth.NewHasher(c.p)
			for b.Loop() {
				h.Hash("Correct-Horse-42")
			}
		})
	}
}
