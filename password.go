package tc

import (
	_ "embed"
	"strings"
	"sync"
)

//go:generate go run ./passwords/gen -out passwords/common.txt

// commonPasswordsFile is the list written by ./passwords/gen: the 15,769
// passwords of at least 8 characters among the 47,023 most common ones of
// zxcvbn's frequency list (MIT licence), lower-cased, one a line after a
// header of "#" lines that names the source, version and licence.
//
//go:embed passwords/common.txt
var commonPasswordsFile string

// commonPasswords is the list as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 16384)
	for line := range strings.SplitSeq(commonPasswordsFile, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			set[line] = struct{}{}
		}
	}
	return set
})

// IsCommonPassword reports whether password is on the embedded list of
// common passwords. The comparison ignores case: "Password1" is as guessable
// as "password1", since guessing tools try both.
func IsCommonPassword(password string) bool {
	_, ok := commonPasswords()[strings.ToLower(password)]
	return ok
}
