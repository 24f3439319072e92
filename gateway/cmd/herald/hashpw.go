package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/herald-gateway/herald/gateway/auth"
)

// hashPasswordCmd is "herald hash-password": it reads one password line
// from in (so it shows in no process list or shell history) and writes
// the hash for an auth.users entry "username:<hash>".
func hashPasswordCmd(in io.Reader, out io.Writer) error {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return errors.New("no password on stdin (e.g. read -rs PW; printf '%s\\n' \"$PW\" | herald hash-password)")
	}
	h, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, h)
	return err
}
