package tracker

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
// each part escaped by appendKeyPart.
func topicKey(kind, namespace, group, service string) string {
	return string(appendTopicKey(keyBuf(namespace, group, service), kind, namespace, group, service))
}

// changeKey is "herald:trk:cfgchg:{<ns>|<group>|<dataId>}": the change
// events of a configuration.
func changeKey(namespace, group, dataID string) string {
	return string(appendNameKey(keyBuf(namespace, group, dataID), changeKeyPrefix, namespace, group, dataID))
}

// ipKey is "herald:trk:ip:{<ip>}" with the IP escaped by appendKeyPart.
func ipKey(ip string) string {
	return string(appendIPKey(keyBuf(ip), ip))
}

// keyBuf is room for a key of the given parts, unescaped.
func keyBuf(parts ...string) []byte {
	n := len(changeKeyPrefix) + 4
	for _, p := range parts {
		n += len(p)
	}
	return make([]byte, 0, n)
}

func appendTopicKey(b []byte, kind, namespace, group, service string) []byte {
	prefix := serviceKeyPrefix
	if kind == KindConfig {
		prefix = configKeyPrefix
	}
	return appendNameKey(b, prefix, namespace, group, service)
}

func appendNameKey(b []byte, prefix, namespace, group, service string) []byte {
	b = append(append(b, prefix...), '{')
	b = append(appendKeyPart(b, namespace), '|')
	b = append(appendKeyPart(b, group), '|')
	return append(appendKeyPart(b, service), '}')
}

func appendIPKey(b []byte, ip string) []byte {
	b = append(append(b, ipKeyPrefix...), '{')
	return append(appendKeyPart(b, ip), '}')
}

// streamKeys are the keys of the streams a record belongs to (its topic
// and its client IP, each only if named, and a change event's change
// stream), built in one buffer that is reused from record to record: the
// memory store finds its logs by them without allocating.
type streamKeys struct {
	b    []byte
	ends [3]int
	n    int
}

// of builds r's keys, replacing the previous record's.
func (k *streamKeys) of(r *Record) *streamKeys {
	k.b, k.n = k.b[:0], 0
	if r.Service != "" {
		k.b = appendTopicKey(k.b, r.Kind, r.Namespace, r.Group, r.Service)
		k.end()
		if r.IsChange() {
			k.b = appendNameKey(k.b, changeKeyPrefix, r.Namespace, r.Group, r.Service)
			k.end()
		}
	}
	if r.ClientIP != "" {
		k.b = appendIPKey(k.b, r.ClientIP)
		k.end()
	}
	return k
}

func (k *streamKeys) end() { k.ends[k.n] = len(k.b); k.n++ }

// len is the number of keys.
func (k *streamKeys) len() int { return k.n }

// key is key i; it is valid until the next call of of.
func (k *streamKeys) key(i int) []byte {
	start := 0
	if i > 0 {
		start = k.ends[i-1]
	}
	return k.b[start:k.ends[i]]
}

// recordKeys returns the keys of the streams r belongs to.
func recordKeys(r *Record) []string {
	var k streamKeys
	k.of(r)
	keys := make([]string, k.len())
	for i := range keys {
		keys[i] = string(k.key(i))
	}
	return keys
}

// appendKeyPart appends s with '%', '{', '}', '|', space, control bytes
// and DEL replaced by "%XX" (two upper-case hex digits); every other byte,
// UTF-8 included, is written as is. An escaped part therefore holds no
// brace (the hash tag cannot end early) and no '|' (the parts of a service
// key split unambiguously), and because '%' itself is escaped, distinct
// names give distinct keys.
func appendKeyPart(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for len(s) > 0 {
		i := 0
		for i < len(s) && !escaped[s[i]] {
			i++
		}
		b = append(b, s[:i]...) // the plain run at once: names rarely hold any
		if i == len(s) {
			break
		}
		c := s[i]
		b = append(b, '%', hex[c>>4], hex[c&0xF])
		s = s[i+1:]
	}
	return b
}

// escaped marks the bytes appendKeyPart escapes.
var escaped = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	for _, c := range []byte{'%', '{', '}', '|', ' ', 0x7F} {
		t[c] = true
	}
	return t
}()
