package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Tokens are stateless: "<body>.<sig>" with body = base64url("user|expiry
// unix seconds") and sig = base64url(HMAC-SHA256(key, body)). They hold
// no memory; they survive a restart only when the key is configured.

// maxTokenBytes bounds what ParseToken looks at; a real token is well
// under 200 bytes.
const maxTokenBytes = 1024

// Errors of ParseToken.
var (
	errTokenInvalid = errors.New("token invalid")
	errTokenExpired = errors.New("token expired")
)

// signer makes and checks tokens with one key.
type signer struct{ key []byte }

func (s signer) mac(body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// issue returns a token for user valid until exp.
func (s signer) issue(user string, exp time.Time) string {
	body := base64.RawURLEncoding.EncodeToString([]byte(user + "|" + strconv.FormatInt(exp.Unix(), 10)))
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(body))
}

// parse returns the user a token names if its signature is ours and it
// has not expired at now. It never panics, whatever token holds.
func (s signer) parse(token string, now time.Time) (string, error) {
	user, exp, err := s.decode(token)
	if err != nil {
		return "", err
	}
	if now.Unix() >= exp {
		return "", errTokenExpired
	}
	return user, nil
}

// strict64 refuses non-canonical encodings, so exactly one string carries
// a given token.
var strict64 = base64.RawURLEncoding.Strict()

// decode checks the signature and splits the body.
func (s signer) decode(token string) (user string, exp int64, err error) {
	if len(token) > maxTokenBytes || !tokenAlphabet(token) {
		return "", 0, errTokenInvalid
	}
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", 0, errTokenInvalid
	}
	got, err := strict64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(body)) {
		return "", 0, errTokenInvalid
	}
	raw, err := strict64.DecodeString(body)
	if err != nil {
		return "", 0, errTokenInvalid
	}
	i := strings.LastIndexByte(string(raw), '|')
	if i <= 0 {
		return "", 0, errTokenInvalid
	}
	exp, err = strconv.ParseInt(string(raw[i+1:]), 10, 64)
	if err != nil {
		return "", 0, errTokenInvalid
	}
	return string(raw[:i]), exp, nil
}

// tokenAlphabet reports whether token holds only base64url bytes and '.':
// the decoder alone would skip '\r' and '\n', letting several strings
// pass for one token.
func tokenAlphabet(token string) bool {
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
