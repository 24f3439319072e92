package conf

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/herald-gateway/herald/gateway/auth"
)

// AuthConfig configures client authentication and permissions, the same on
// the gRPC and the HTTP 1.x wire (gateway/auth). No users (the default)
// means auth is off: anyone who reaches the client ports may read and
// write everything, as with a Nacos whose auth is off.
type AuthConfig struct {
	// Users are "username:hash" entries, the hash made by
	// "herald hash-password" (PBKDF2-SHA256). Any user here, in UsersFile
	// or in http.users turns auth on for both wires.
	Users []string `yaml:"users" help:"username:hash entries (hash from: herald hash-password); any user turns auth on"`
	// UsersFile names a file of "username:hash" lines ('#' starts a
	// comment), read at start, added to Users.
	UsersFile string `yaml:"usersFile" help:"file of username:hash lines, read at start"`
	// Roles bind users to roles, "role:username". Role ROLE_ADMIN is a
	// global administrator, as in Nacos.
	Roles []string `yaml:"roles" help:"role:username bindings (ROLE_ADMIN = may do anything)"`
	// Permissions grant a role read (r), write (w) or both (rw) on
	// resources "namespace:group:kind/name" matched with '*' wildcards:
	// "role:namespace:group:resource:action", e.g. "dev-ro:dev:*:*:r".
	// kind is naming or config; the public namespace is "public".
	Permissions []string `yaml:"permissions" help:"role:namespace:group:resource:action entries, action r|w|rw"`
	// TokenKey signs login tokens (at least 32 bytes), so tokens survive a
	// restart and are accepted by every Herald sharing it. Empty (the
	// default): a random key per process; clients log in again after a
	// restart, as the SDKs do on a 403.
	TokenKey string `yaml:"tokenKey" help:"token signing key, >= 32 bytes (prefer tokenKeyFile or the environment)"`
	// TokenKeyFile names a file holding TokenKey (trailing newline
	// trimmed), read at start. At most one of TokenKey and TokenKeyFile.
	TokenKeyFile string `yaml:"tokenKeyFile" help:"file holding the token signing key, read at start"`
}

// validateAuth checks what can be checked without reading files; the
// daemon's AuthOptions reports the rest at start.
func (c *Config) validateAuth(add func(error)) {
	a := c.Auth
	if a.TokenKey != "" && a.TokenKeyFile != "" {
		add(fieldErrorf("auth.tokenKeyFile", "set auth.tokenKey or auth.tokenKeyFile, not both"))
	}
	if n := len(a.TokenKey); n > 0 && n < auth.MinKeyBytes {
		add(fieldErrorf("auth.tokenKey", "must be at least %d bytes, got %d", auth.MinKeyBytes, n))
	}
	if a.UsersFile != "" {
		return // users and roles are checked together once the file is read
	}
	if _, err := auth.New(c.authOptions(nil, nil)); err != nil {
		add(fieldErrorf("auth", "%v", err))
	}
}

// authOptions assembles the Authority's options from the inline lists
// plus the users and key read from files.
func (c *Config) authOptions(fileUsers []string, key []byte) auth.Options {
	if key == nil && c.Auth.TokenKey != "" {
		key = []byte(c.Auth.TokenKey)
	}
	return auth.Options{
		Users: append(append([]string(nil), c.Auth.Users...), fileUsers...), PlainUsers: c.HTTP.Users,
		Roles: c.Auth.Roles, Permissions: c.Auth.Permissions, TTL: c.HTTP.TokenTTL, Key: key,
	}
}

// Authority builds the client Authority, reading auth.usersFile and
// auth.tokenKeyFile. Errors name the field; none quotes a secret.
func (c *Config) Authority() (*auth.Authority, error) {
	var users []string
	if f := c.Auth.UsersFile; f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("auth.usersFile: %w", err)
		}
		users = userLines(data)
	}
	var key []byte
	if f := c.Auth.TokenKeyFile; f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("auth.tokenKeyFile: %w", err)
		}
		key = bytes.TrimRight(data, "\r\n")
	}
	a, err := auth.New(c.authOptions(users, key))
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return a, nil
}

// userLines returns the non-blank, non-comment lines of a users file.
func userLines(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// minTokenTTL is the shortest token lifetime: the Go SDK renews at
// 9/10 of a whole number of seconds.
const minTokenTTL = time.Second
