//go:build unix

package forward

import (
	"net"
	"syscall"
)

// alive reports whether the server has not closed c. A syslog server never
// writes, so a peek that finds the end of the stream (or an error) rather
// than nothing to read means the connection is gone; writing to it would
// lose the message without an error. (A read deadline in the past cannot
// tell: Go then fails the read without trying it.)
func alive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	ok = true
	raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		ok = n > 0 || err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
		return true // never wait for data
	})
	return ok
}
