package upstream

import (
	"fmt"
	"strings"
)

// ConfigPublishOf reads a publish of content to key from its optional
// fields, named as Nacos names them on both wires (the gRPC additionMap
// keys, the HTTP form parameters): type, appName, encryptedDataKey,
// betaIps (comma-separated), src_user and tag. field returns "" for a
// field that was not sent. srcIP is the publisher's address. A tag is
// refused (RefuseConfigTag); everything else is validated by the store.
func ConfigPublishOf(key ConfigKey, content, casMd5 string, field func(name string) string, srcIP string) (ConfigPublish, error) {
	if err := RefuseConfigTag(field("tag")); err != nil {
		return ConfigPublish{}, err
	}
	return ConfigPublish{
		Key: key, Content: content, CasMd5: casMd5, Type: field("type"), AppName: field("appName"),
		EncryptedDataKey: field("encryptedDataKey"), BetaIPs: SplitList(field("betaIps")),
		SrcIP: srcIP, SrcUser: field("src_user"),
	}, nil
}

// RefuseConfigTag returns an error wrapping ErrInvalid for a non-blank
// tag: tagged configurations are not supported.
func RefuseConfigTag(tag string) error {
	if tag = strings.TrimSpace(tag); tag != "" {
		return fmt.Errorf("tag %q: tagged configurations are not supported: %w", tag, ErrInvalid)
	}
	return nil
}
