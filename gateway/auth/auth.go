package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// AdminRole is Nacos's global administrator role: a user bound to it may
// do anything, as the users of the legacy http.users list may.
const AdminRole = "ROLE_ADMIN"

// MinKeyBytes is the shortest configured signing key accepted (Nacos asks
// the same of its token.secret.key).
const MinKeyBytes = 32

// Options configure an Authority. No users means auth is off.
type Options struct {
	// Users are "username:hash" entries, hash from HashPassword.
	Users []string
	// PlainUsers are "username:password" entries (the legacy http.users
	// list). Each is a global administrator.
	PlainUsers []string
	// Roles bind users to roles: "role:username".
	Roles []string
	// Permissions are "role:namespace:group:resource:action" entries.
	Permissions []string
	// TTL is a token's lifetime; default 18000s, as Nacos.
	TTL time.Duration
	// Key signs tokens. Empty: a random key made at start, so tokens die
	// with the process. Otherwise at least MinKeyBytes long.
	Key []byte
}

// user is one account: how its password is checked, and what it may do.
type user struct {
	verify func(password string) bool
	admin  bool
	perms  []permission
}

// Authority checks credentials, tokens and permissions. Its methods are
// safe for concurrent use. A nil or empty Authority lets everything pass.
type Authority struct {
	users map[string]*user // fixed after New
	ttl   time.Duration
	sign  signer

	// mu protects seen: for each user, a keyed digest of the last password
	// that verified, so a client sending username and password on every
	// request (the Node SDK) costs one slow hash, not one per request.
	mu   sync.Mutex
	seen map[string][32]byte
	seal []byte // the digest key, random per process
}

// New builds an Authority; errors name the entry at fault but never quote
// a password or hash.
func New(o Options) (*Authority, error) {
	if o.TTL <= 0 {
		o.TTL = 18000 * time.Second
	}
	a := &Authority{users: map[string]*user{}, ttl: o.TTL, seen: map[string][32]byte{}, seal: randomKey()}
	if err := a.addUsers(o.Users, o.PlainUsers); err != nil {
		return nil, err
	}
	if err := a.bind(o.Roles, o.Permissions); err != nil {
		return nil, err
	}
	switch {
	case len(o.Key) == 0:
		a.sign = signer{key: randomKey()}
	case len(o.Key) < MinKeyBytes:
		return nil, fmt.Errorf("token key is %d bytes, at least %d needed", len(o.Key), MinKeyBytes)
	default:
		a.sign = signer{key: append([]byte(nil), o.Key...)}
	}
	return a, nil
}

func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+)
	return k
}

// validName bounds user and role names to what fits the config lists and
// tokens unambiguously.
func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	return !strings.ContainsAny(s, ":|, \t\r\n")
}

func (a *Authority) addUsers(hashed, plain []string) error {
	add := func(i int, entry string, mk func(secret string) (*user, error)) error {
		name, secret, ok := strings.Cut(entry, ":")
		if !ok || !validName(name) || secret == "" {
			return fmt.Errorf("users entry %d is not username:secret (no ':', '|', ',' or spaces in the name)", i)
		}
		if _, dup := a.users[name]; dup {
			return fmt.Errorf("users entry %d: user %s is listed twice", i, name)
		}
		u, err := mk(secret)
		if err != nil {
			return fmt.Errorf("users entry %d (%s): %w", i, name, err)
		}
		a.users[name] = u
		return nil
	}
	for i, e := range hashed {
		if err := add(i, e, func(h string) (*user, error) {
			ph, err := parseHash(h)
			return &user{verify: ph.matches}, err
		}); err != nil {
			return err
		}
	}
	for i, e := range plain {
		if err := add(i, e, func(p string) (*user, error) {
			want := sha256.Sum256([]byte(p))
			return &user{admin: true, verify: func(got string) bool {
				g := sha256.Sum256([]byte(got))
				return subtle.ConstantTimeCompare(want[:], g[:]) == 1
			}}, nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// bind gives each user the permissions of its roles.
func (a *Authority) bind(roles, perms []string) error {
	byRole := map[string][]permission{}
	for _, s := range perms {
		role, p, err := parsePermission(s)
		if err != nil {
			return err
		}
		byRole[role] = append(byRole[role], p)
	}
	for i, s := range roles {
		role, name, ok := strings.Cut(s, ":")
		if !ok || !validName(role) || !validName(name) {
			return fmt.Errorf("roles entry %d is not role:username", i)
		}
		u := a.users[name]
		if u == nil {
			return fmt.Errorf("roles entry %d binds role %s to unknown user %s", i, role, name)
		}
		if role == AdminRole {
			u.admin = true
			continue
		}
		if _, known := byRole[role]; !known {
			return fmt.Errorf("roles entry %d: role %s has no permissions", i, role)
		}
		u.perms = append(u.perms, byRole[role]...)
	}
	return nil
}

// Enabled reports whether credentials are required.
func (a *Authority) Enabled() bool { return a != nil && len(a.users) > 0 }

// TTL is the lifetime of the tokens Login issues.
func (a *Authority) TTL() time.Duration { return a.ttl }

// Denied is a refusal. Msg is the text Nacos answers for the same case;
// both wires answer it with code 403, which makes the SDKs log in again.
type Denied struct{ Msg string }

func (d *Denied) Error() string { return d.Msg }

// The refusals, worded as Nacos words them.
var (
	ErrNoCredentials = &Denied{"user not found!"}
	ErrBadLogin      = &Denied{"unknown user!"}
	ErrTokenInvalid  = &Denied{"token invalid!"}
	ErrTokenExpired  = &Denied{"token expired!"}
	ErrForbidden     = &Denied{"authorization failed!"}
)

// Password reports whether password is user's.
func (a *Authority) Password(name, password string) bool {
	u := a.users[name]
	if u == nil {
		return false
	}
	m := hmac.New(sha256.New, a.seal)
	m.Write([]byte(name + "\x00" + password))
	var d [32]byte
	copy(d[:], m.Sum(nil))
	a.mu.Lock()
	last, ok := a.seen[name]
	a.mu.Unlock()
	if ok && subtle.ConstantTimeCompare(last[:], d[:]) == 1 {
		return true
	}
	if !u.verify(password) {
		return false
	}
	a.mu.Lock()
	a.seen[name] = d
	a.mu.Unlock()
	return true
}

// Login returns a token for name valid for TTL from now.
func (a *Authority) Login(name, password string, now time.Time) (string, error) {
	if !a.Password(name, password) {
		return "", ErrBadLogin
	}
	return a.sign.issue(name, now.Add(a.ttl)), nil
}

// Authenticate returns the user a token was issued to, if it is ours,
// unexpired at now, and its user still exists. An empty token is
// ErrNoCredentials.
func (a *Authority) Authenticate(token string, now time.Time) (string, error) {
	if token == "" {
		return "", ErrNoCredentials
	}
	name, err := a.sign.parse(token, now)
	switch {
	case errors.Is(err, errTokenExpired):
		return "", ErrTokenExpired
	case err != nil:
		return "", ErrTokenInvalid
	case a.users[name] == nil:
		return "", ErrNoCredentials
	}
	return name, nil
}

// Admin reports whether name is a global administrator.
func (a *Authority) Admin(name string) bool {
	u := a.users[name]
	return u != nil && u.admin
}

// Allow returns nil if name may do act on res, else ErrForbidden.
func (a *Authority) Allow(name string, act Action, res Resource) error {
	if !a.Enabled() {
		return nil
	}
	u := a.users[name]
	if u == nil {
		return ErrNoCredentials
	}
	if u.admin {
		return nil
	}
	res = res.normalized()
	for _, p := range u.perms {
		if p.grants(act, res) {
			return nil
		}
	}
	return ErrForbidden
}
