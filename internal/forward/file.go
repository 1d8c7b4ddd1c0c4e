package forward

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/telegrafcontroller/tc"
)

// File appends each entry to a file as one line of JSON (JSONL), the
// entry exactly as GET /api/audit-logger returns it. The file is never
// rotated. Each line is one write(2) on a file opened O_APPEND, so lines of
// other writers never interleave with it; a write that fails part-way is
// cut off again, so the file holds whole lines only. The file is synced
// (fsync) once per batch, before the cursor moves past the batch: a crash
// loses no line the cursor counts as written, and may repeat the lines of
// the batch under way.
//
// If the file is moved away (an outside rotation), the next sync notices
// and reopens the path; rotation by copy and truncate works as well.
type File struct {
	path string
	f    *os.File
}

// NewFile opens (creating, mode 0600: the log names users and addresses)
// path for appending.
func NewFile(path string) (*File, error) {
	w := &File{path: path}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *File) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open the audit file: %w", err)
	}
	w.f = f
	return nil
}

// Deliver writes e as one line.
func (w *File) Deliver(_ context.Context, e tc.AuditEntry) error {
	if w.f == nil {
		if err := w.open(); err != nil {
			return err
		}
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry %d: %w", e.Seq, err)
	}
	line = append(line, '\n')
	st, err := w.f.Stat()
	if err != nil {
		return fmt.Errorf("append to the audit file: %w", err)
	}
	if _, err := w.f.Write(line); err != nil {
		w.f.Truncate(st.Size()) // no half line (a full disk)
		return fmt.Errorf("append to the audit file: %w", err)
	}
	return nil
}

// Flush syncs the file, and reopens the path if the file was moved away.
func (w *File) Flush() error {
	if w.f == nil {
		return nil
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync the audit file: %w", err)
	}
	cur, err1 := w.f.Stat()
	onDisk, err2 := os.Stat(w.path)
	if err1 == nil && (err2 != nil || !os.SameFile(cur, onDisk)) {
		w.f.Close()
		w.f = nil
		return w.open()
	}
	return nil
}

// Close closes the file.
func (w *File) Close() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
