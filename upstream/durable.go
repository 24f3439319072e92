package upstream

import (
	"fmt"
	"os"
)

// writeFileDurably replaces path (in dir) with data atomically and durably:
// a temp file named by pattern in the same directory, fsync, rename over
// path, fsync of the directory. A crash leaves either the old or the new
// file, never a torn one. dir is created if needed.
func writeFileDurably(dir, path, pattern string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create data directory %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(dir)
}

// removeFileDurably removes path (in dir) and makes the removal durable. A
// missing file is not an error.
func removeFileDurably(dir, path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return syncDir(dir)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync data directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync data directory %s: %w", dir, err)
	}
	return nil
}
