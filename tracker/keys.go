package tracker

import "strings"

// Stream keys; RedisStore's doc comment describes the layout. The memory
// store names its logs with the same keys, so both stores agree on which
// names are distinct.
const (
	keyPrefix        = "herald:trk:"
	serviceKeyPrefix = keyPrefix + "svc:"
	configKeyPrefix  = keyPrefix + "cfg:"
	changeKeyPrefix  = keyPrefix + "cfgchg:"
	ipKeyPrefix      = keyPrefix + "ip:"
	keyPattern       = keyPrefix + "*" // SCAN MATCH for every stream key
)

// topicKey is "herald:trk:svc:{<ns>|<group>|<service>}" for a naming
// topic and "herald:trk:cfg:{<ns>|<group>|<dataId>}" for a config topic,
// each part escaped by escapeKeyPart.
func topicKey(kind, namespace, group, service string) string {
	prefix := serviceKeyPrefix
	if kind == KindConfig {
		prefix = configKeyPrefix
	}
	return nameKey(prefix, namespace, group, service)
}

// changeKey is "herald:trk:cfgchg:{<ns>|<group>|<dataId>}": the change
// events of a configuration.
func changeKey(namespace, group, dataID string) string {
	return nameKey(changeKeyPrefix, namespace, group, dataID)
}

func nameKey(prefix, namespace, group, service string) string {
	var b strings.Builder
	b.Grow(len(prefix) + len(namespace) + len(group) + len(service) + 4)
	b.WriteString(prefix)
	b.WriteByte('{')
	escapeKeyPart(&b, namespace)
	b.WriteByte('|')
	escapeKeyPart(&b, group)
	b.WriteByte('|')
	escapeKeyPart(&b, service)
	b.WriteByte('}')
	return b.String()
}

// ipKey is "herald:trk:ip:{<ip>}" with the IP escaped by escapeKeyPart.
func ipKey(ip string) string {
	var b strings.Builder
	b.Grow(len(ipKeyPrefix) + len(ip) + 2)
	b.WriteString(ipKeyPrefix)
	b.WriteByte('{')
	escapeKeyPart(&b, ip)
	b.WriteByte('}')
	return b.String()
}

// recordKeys returns the streams r belongs to: its topic and its client
// IP, each only if named, and a change event's change stream.
func recordKeys(r *Record) []string {
	keys := make([]string, 0, 3)
	if r.Service != "" {
		keys = append(keys, topicKey(r.Kind, r.Namespace, r.Group, r.Service))
		if r.IsChange() {
			keys = append(keys, changeKey(r.Namespace, r.Group, r.Service))
		}
	}
	if r.ClientIP != "" {
		keys = append(keys, ipKey(r.ClientIP))
	}
	return keys
}

// escapeKeyPart writes s with '%', '{', '}', '|', space, control bytes and
// DEL replaced by "%XX" (two upper-case hex digits); every other byte,
// UTF-8 included, is written as is. An escaped part therefore holds no
// brace (the hash tag cannot end early) and no '|' (the parts of a service
// key split unambiguously), and because '%' itself is escaped, distinct
// names give distinct keys.
func escapeKeyPart(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needsEscape(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
			continue
		}
		b.WriteByte(c)
	}
}

func needsEscape(c byte) bool {
	switch c {
	case '%', '{', '}', '|', ' ', 0x7F:
		return true
	}
	return c < 0x20
}
