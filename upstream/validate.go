package upstream

// Name validation, after the Nacos server's default parameter checker
// (com.alibaba.nacos.common.paramcheck.DefaultParamChecker with the limits
// of ParamCheckRule, alibaba/nacos 2.3+), read from the Nacos source:
//
//	namespace    ^[\w-]+$ (ASCII \w), at most 64
//	serviceName  ^(?!@).((?!@@)[^\u4E00-\u9FA5\s])*$, at most 512
//	groupName    ^[a-zA-Z0-9-_:\.]*$, at most 128
//	clusterName  ^[0-9a-zA-Z-_]+$, at most 64
//	ip           ^[^\u4E00-\u9FA5\s]*$, at most 128
//	port         0..65535
//	metadata     sum of key and value lengths at most 1024 (configurable
//	             with nacos.naming.service.metadata.length)
//
// Lengths count UTF-16 code units, like Java's String.length(). Where Herald
// differs, on purpose:
//   - The checker skips blank values; Herald requires serviceName, groupName
//     (after defaulting) and ip, as the Nacos request handlers do later.
//   - serviceName: Nacos's regex lets the first character be whitespace or
//     CJK (it is matched by '.'); Herald rejects them anywhere.
//   - port must be 1..65535 for a registration (0 is no endpoint).
//   - metadata may hold up to MaxMetadataBytes (16 KiB), not 1024: Dubbo 2
//     interface-level registrations routinely exceed 1024 (alibaba/nacos
//     issues #12466, #13206), which is why Nacos made the limit configurable.
//   - weight must be 0..10000 and a number, as the Nacos instance API checks.
//   - Nacos's heartbeat interval/timeout consistency check is not applied:
//     Herald's ephemeral instances live as long as their connection.
//   - Strings must be valid UTF-8.

import (
	"fmt"
	"math"
	"net"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits applied by ValidateInstance.
const (
	// MaxMetadataBytes bounds the total UTF-8 size of an instance's
	// metadata keys and values (see the file comment for the choice).
	MaxMetadataBytes = 16 << 10
	// MaxWeight is the largest instance weight Nacos accepts.
	MaxWeight = 10000
)

// FieldError is a validation failure of one named field. It wraps
// ErrInvalid, so errors.Is(err, ErrInvalid) holds for every FieldError.
type FieldError struct {
	Field   string // Nacos's name of the field, e.g. "serviceName"
	Problem string // what is wrong, e.g. "must not be blank"
}

// Error reports "field: problem".
func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// textRule is one name rule: a length limit, whether blank is allowed, the
// runes allowed anywhere, and an optional check of the whole string.
type textRule struct {
	field   string
	max     int // in UTF-16 code units
	blankOK bool
	allowed func(r rune) bool
	shape   func(s string) string // "" when fine, else the problem
}

var (
	namespaceRule = textRule{field: "namespace", max: 64, allowed: isWordOrDash}
	serviceRule   = textRule{field: "serviceName", max: 512, allowed: notCJKOrSpace, shape: serviceShape}
	groupRule     = textRule{field: "groupName", max: 128, allowed: isGroupRune}
	clusterRule   = textRule{field: "clusterName", max: 64, allowed: isClusterRune}
	ipRule        = textRule{field: "ip", max: 128, allowed: notCJKOrSpace}
)

// check applies the rule to s and returns a *FieldError or nil.
func (r textRule) check(s string) error {
	if !utf8.ValidString(s) {
		return invalid(r.field, "must be valid UTF-8")
	}
	if strings.TrimSpace(s) == "" {
		if r.blankOK {
			return nil
		}
		return invalid(r.field, "must not be blank")
	}
	if n := javaLen(s); n > r.max {
		return invalid(r.field, "must be at most %d characters, got %d", r.max, n)
	}
	for _, c := range s {
		if !r.allowed(c) {
			return invalid(r.field, "must not contain %q", c)
		}
	}
	if r.shape != nil {
		if p := r.shape(s); p != "" {
			return invalid(r.field, "%s", p)
		}
	}
	return nil
}

// ValidateKey checks k.Normalize() against Nacos's namespace, group and
// service name rules. It returns nil or a *FieldError (wrapping ErrInvalid)
// naming the first offending field.
func ValidateKey(k ServiceKey) error {
	k = k.Normalize()
	for _, c := range []struct {
		rule  textRule
		value string
	}{
		{namespaceRule, k.Namespace},
		{groupRule, k.Group},
		{serviceRule, k.Name},
	} {
		if err := c.rule.check(c.value); err != nil {
			return err
		}
	}
	return nil
}

// ValidateInstance checks one instance as sent for registration: ip, port,
// weight, cluster name (blank allowed: it becomes DEFAULT) and metadata
// size. It returns nil or a *FieldError (wrapping ErrInvalid). Other fields
// (instanceId, healthy, enabled, ...) are accepted as sent.
func ValidateInstance(in Instance) error {
	if err := ipRule.check(in.IP); err != nil {
		return err
	}
	if in.Port < 1 || in.Port > 65535 {
		return invalid("port", "must be between 1 and 65535, got %d", in.Port)
	}
	if math.IsNaN(in.Weight) || in.Weight < 0 || in.Weight > MaxWeight {
		return invalid("weight", "must be between 0 and %d, got %v", MaxWeight, in.Weight)
	}
	cluster := clusterRule
	cluster.blankOK = true
	if err := cluster.check(in.ClusterName); err != nil {
		return err
	}
	return checkMetadata(in.Metadata)
}

// checkMetadata bounds the total size of the metadata keys and values.
func checkMetadata(md map[string]string) error {
	total := 0
	for k, v := range md {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return invalid("metadata", "must be valid UTF-8")
		}
		total += len(k) + len(v)
	}
	if total > MaxMetadataBytes {
		return invalid("metadata", "keys and values must total at most %d bytes, got %d", MaxMetadataBytes, total)
	}
	return nil
}

// serviceShape is the part of Nacos's service name regex that is not about
// single characters: no leading '@' and no "@@" (the group separator).
func serviceShape(s string) string {
	switch {
	case strings.HasPrefix(s, "@"):
		return "must not start with '@'"
	case strings.Contains(s, "@@"):
		return `must not contain "@@"`
	}
	return ""
}

// javaLen is the length of s in UTF-16 code units, as Java counts it.
func javaLen(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// isCJK reports the range Nacos excludes: U+4E00..U+9FA5.
func isCJK(r rune) bool { return r >= 0x4E00 && r <= 0x9FA5 }

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func isWordOrDash(r rune) bool  { return isASCIIAlnum(r) || r == '_' || r == '-' }
func isClusterRune(r rune) bool { return isWordOrDash(r) }
func isGroupRune(r rune) bool   { return isWordOrDash(r) || r == ':' || r == '.' }
func notCJKOrSpace(r rune) bool { return !isCJK(r) && !unicode.IsSpace(r) }

// Config name rules, after Nacos's config ParamUtils.isValid: letters and
// digits (any script, as Java's Character.isLetterOrDigit) and '_', '-',
// '.', ':'. Lengths as Nacos's tables and checks: dataId 255, group 128,
// tenant 128 (UTF-16 code units).
var (
	dataIDRule = textRule{field: "dataId", max: 255, allowed: isConfigRune}
	cfgGroup   = textRule{field: "group", max: 128, allowed: isConfigRune}
	tenantRule = textRule{field: "tenant", max: 128, allowed: isConfigRune}
)

func isConfigRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.' || r == ':'
}

// ValidateConfigKey checks k.Normalize() against Nacos's config name
// rules. It returns nil or a *FieldError naming the first offending field
// (dataId, group, tenant).
func ValidateConfigKey(k ConfigKey) error {
	k = k.Normalize()
	for _, c := range []struct {
		rule  textRule
		value string
	}{
		{dataIDRule, k.DataID},
		{cfgGroup, k.Group},
		{tenantRule, k.Namespace},
	} {
		if err := c.rule.check(c.value); err != nil {
			return err
		}
	}
	return nil
}

// ValidateConfigPublish checks a publish: the key, non-blank content of at
// most maxBytes (UTF-8), valid UTF-8 everywhere, and beta IPs that are IP
// addresses.
func ValidateConfigPublish(p ConfigPublish, maxBytes int) error {
	if err := ValidateConfigKey(p.Key); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(p.Content) == "":
		return invalid("content", "must not be blank")
	case len(p.Content) > maxBytes:
		return invalid("content", "must be at most %d bytes, got %d", maxBytes, len(p.Content))
	case !utf8.ValidString(p.Content):
		return invalid("content", "must be valid UTF-8")
	case len(p.Type) > 32:
		return invalid("type", "must be at most 32 characters")
	case len(p.AppName) > 128:
		return invalid("appName", "must be at most 128 characters")
	}
	for _, ip := range p.BetaIPs {
		if net.ParseIP(ip) == nil {
			return invalid("betaIps", "%q is not an IP address", ip)
		}
	}
	return nil
}
