package loop

import "syscall"

// setThreadNice sets the calling thread's nice value: on Linux
// setpriority with a thread id changes that thread alone.
func setThreadNice(n int) error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), n)
}
