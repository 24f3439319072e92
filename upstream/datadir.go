package upstream

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFileName is the lock file LockDataDir keeps in a data directory.
const LockFileName = ".lock"

// ErrDataDirLocked is returned by LockDataDir when another process holds
// the directory.
var ErrDataDirLocked = errors.New("data directory in use by another process")

// LockDataDir takes an exclusive lock on dir (created if needed) for as
// long as the process runs or until unlock: a second Herald on the same
// directory is refused with an error naming the holder (its pid and host,
// which the holder writes into the lock file). The lock is the kernel's
// (flock), so it goes with the process that held it, however it ended.
func LockDataDir(dir string) (unlock func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: lock: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held by %s", ErrDataDirLocked, dir, describeHolder(string(holder)))
		}
		return nil, fmt.Errorf("data directory %s: lock: %w", dir, err)
	}
	host, _ := os.Hostname()
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+" on "+host+"\n"), 0)
	}
	return func() error {
		defer f.Close()
		return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}, nil
}

func describeHolder(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return "another process"
	}
	return "Herald " + s
}
