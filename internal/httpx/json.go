package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/telegrafcontroller/tc"
)

// DecodeJSON reads r's body (capped at limit bytes) into v. Unknown fields,
// trailing data, wrong types and oversized bodies are precise 4xx errors.
// Invalid UTF-8 and NUL characters are refused whole: the decoder would
// replace the one silently, and PostgreSQL refuses the other where SQLite
// stores it, so both databases see the same text.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return tc.Errorf(tc.EINVALID, "Content-Type must be application/json")
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return jsonError(err)
	}
	if err := ValidateJSONText(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return tc.Errorf(tc.EINVALID, "request body must hold a single JSON value")
	}
	return nil
}

// ValidateJSONText refuses a JSON document that is not valid UTF-8 or that
// escapes a NUL character (\u0000) anywhere.
func ValidateJSONText(data []byte) error {
	if !utf8.Valid(data) {
		return tc.Errorf(tc.EINVALID, "request body must be valid UTF-8")
	}
	if EscapesNUL(data) {
		return tc.Errorf(tc.EINVALID, "text must not contain NUL characters (\\u0000)")
	}
	return nil
}

// EscapesNUL reports whether the JSON document data holds a \u0000 escape
// (raw control characters are already invalid JSON).
func EscapesNUL(data []byte) bool {
	for rest := data; ; {
		i := bytes.Index(rest, []byte(`\u0000`))
		if i < 0 {
			return false
		}
		// An escape only when preceded by an even number of backslashes
		// (\\u0000 is a backslash and the text u0000).
		n := 0
		for j := i - 1; j >= 0 && rest[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return true
		}
		rest = rest[i+1:]
	}
}

// jsonError turns a decoding error into a caller-facing EINVALID or ETOOLARGE.
func jsonError(err error) error {
	if maxErr, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tc.Errorf(tc.ETOOLARGE, "request body exceeds %d bytes", maxErr.Limit)
	}
	if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := typeErr.Field
		if field == "" {
			return tc.Errorf(tc.EINVALID, "request body must be a JSON %s", expectedKind(typeErr))
		}
		return &tc.Error{Code: tc.EINVALID, Field: field, Message: fmt.Sprintf("%s must be %s", field, expectedKind(typeErr))}
	}
	if syn, ok := errors.AsType[*json.SyntaxError](err); ok {
		return tc.Errorf(tc.EINVALID, "invalid JSON at byte %d: %s", syn.Offset, syn.Error())
	}
	if errors.Is(err, io.EOF) {
		return tc.Errorf(tc.EINVALID, "request body is empty; a JSON object is required")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return tc.Errorf(tc.EINVALID, "invalid JSON: unexpected end of input")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field, _ := strconv.Unquote(name)
		return &tc.Error{Code: tc.EINVALID, Field: field, Message: fmt.Sprintf("unknown field %s", name)}
	}
	return tc.Errorf(tc.EINVALID, "invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func expectedKind(e *json.UnmarshalTypeError) string {
	switch e.Type.Kind().String() {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int32", "int64", "uint", "uint32", "uint64", "float64":
		return "a number"
	case "slice":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "of type " + e.Type.String()
}

// QueryInt parses an optional integer query parameter within [min, max].
func QueryInt(r *http.Request, name string, def, min, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, &tc.Error{Code: tc.EINVALID, Field: name, Message: fmt.Sprintf("%s must be an integer between %d and %d", name, min, max)}
	}
	return n, nil
}

// List is the one shape of every list the API answers: the items, and how
// many match in all (more than len(Items) when the list is paged).
type List[T any] struct {
	Items []T   `json:"items"`
	Total int64 `json:"total"`
}

// WriteList answers 200 with the whole, unpaged list items.
func WriteList[T any](w http.ResponseWriter, items []T) {
	if items == nil {
		items = []T{}
	}
	WriteJSON(w, http.StatusOK, List[T]{Items: items, Total: int64(len(items))})
}
