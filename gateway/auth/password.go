package auth

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// hashScheme names the only password hash Herald stores:
// "pbkdf2-sha256$<iterations>$<salt>$<key>", salt and key in unpadded
// standard base64. It holds no ':' or ',' so it fits the config's
// "username:hash" lists.
const hashScheme = "pbkdf2-sha256"

// hashIterations is the work factor of new hashes (OWASP's 2023 figure
// for PBKDF2-HMAC-SHA256).
const hashIterations = 600000

// minIterations refuses hashes too cheap to be worth the name.
const minIterations = 10000

// HashPassword returns a new salted hash of password for the config's
// auth.users list.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	return hashWith(password, salt, hashIterations)
}

// HashPasswordCost is HashPassword with a chosen work factor, at least
// 10000 iterations: for tests, and hosts where a login may not take the
// default's ~100 ms of CPU.
func HashPasswordCost(password string, iterations int) (string, error) {
	if iterations < minIterations {
		return "", fmt.Errorf("at least %d iterations", minIterations)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	return hashWith(password, salt, iterations)
}

func hashWith(password string, salt []byte, iter int) (string, error) {
	key, err := pbkdf2.Key(sha256.New, password, salt, iter, sha256.Size)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return hashScheme + "$" + strconv.Itoa(iter) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

// passwordHash is a parsed hash.
type passwordHash struct {
	iter      int
	salt, key []byte
}

// parseHash reads a HashPassword result. The error never quotes the hash.
func parseHash(s string) (passwordHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 4 || parts[0] != hashScheme {
		return passwordHash{}, errors.New("password hash is not " + hashScheme + "$<iterations>$<salt>$<key> (make one with: herald hash-password)")
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < minIterations || iter > 10*hashIterations {
		return passwordHash{}, fmt.Errorf("password hash iterations must be %d..%d", minIterations, 10*hashIterations)
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	key, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) != sha256.Size {
		return passwordHash{}, errors.New("password hash salt or key is not valid base64 of the right size")
	}
	return passwordHash{iter: iter, salt: salt, key: key}, nil
}

// matches reports whether password hashes to h, in constant time.
func (h passwordHash) matches(password string) bool {
	key, err := pbkdf2.Key(sha256.New, password, h.salt, h.iter, len(h.key))
	return err == nil && subtle.ConstantTimeCompare(key, h.key) == 1
}
