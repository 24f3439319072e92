package h2c

import (
	"encoding/binary"
	"encoding/json"
	"errors"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/herald-gateway/herald/gateway/nacostest"
)

// The fields of nacos_grpc_service.proto's Payload this client reads and
// writes: Payload{metadata = 2, body = 3}, Metadata{type = 3,
// clientIp = 8}, google.protobuf.Any{value = 2}.
const (
	fieldMetadata = 2
	fieldBody     = 3
	fieldType     = 3
	fieldClientIP = 8
	fieldValue    = 2
)

// clientIP is what every request says it comes from.
const clientIP = "127.0.0.1"

func jsonBody(body any) ([]byte, error) {
	if raw, ok := body.([]byte); ok {
		return raw, nil
	}
	return json.Marshal(body)
}

// appendPayload appends Payload{metadata{type, clientIp}, body{value:
// raw}} to b, whose first grpcPrefix bytes become the gRPC prefix.
func appendPayload(b []byte, typ string, raw []byte) []byte {
	meta := protowire.SizeTag(fieldType) + protowire.SizeBytes(len(typ)) +
		protowire.SizeTag(fieldClientIP) + protowire.SizeBytes(len(clientIP))
	b = protowire.AppendTag(b, fieldMetadata, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(meta))
	b = protowire.AppendTag(b, fieldType, protowire.BytesType)
	b = protowire.AppendString(b, typ)
	b = protowire.AppendTag(b, fieldClientIP, protowire.BytesType)
	b = protowire.AppendString(b, clientIP)
	b = protowire.AppendTag(b, fieldBody, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(protowire.SizeTag(fieldValue)+protowire.SizeBytes(len(raw))))
	b = protowire.AppendTag(b, fieldValue, protowire.BytesType)
	b = protowire.AppendBytes(b, raw)
	b[0] = 0
	binary.BigEndian.PutUint32(b[1:grpcPrefix], uint32(len(b)-grpcPrefix))
	return b
}

var errPayload = errors.New("h2c: malformed Payload")

// decodePayload reads a Payload's type and body; Body aliases p.
func decodePayload(p []byte) (nacostest.Message, error) {
	var m nacostest.Message
	err := eachBytesField(p, func(num protowire.Number, v []byte) error {
		switch num {
		case fieldMetadata:
			return eachBytesField(v, func(num protowire.Number, v []byte) error {
				if num == fieldType {
					m.Type = typeName(v)
				}
				return nil
			})
		case fieldBody:
			return eachBytesField(v, func(num protowire.Number, v []byte) error {
				if num == fieldValue {
					m.Body = v
				}
				return nil
			})
		}
		return nil
	})
	return m, err
}

// eachBytesField calls f for every length-delimited field of the message
// p, skipping the others.
func eachBytesField(p []byte, f func(protowire.Number, []byte) error) error {
	for len(p) > 0 {
		num, typ, n := protowire.ConsumeTag(p)
		if n < 0 {
			return errPayload
		}
		p = p[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, p); n < 0 {
				return errPayload
			}
			p = p[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(p)
		if n < 0 {
			return errPayload
		}
		if err := f(num, v); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// knownTypes are the message types a load connection meets by the
// thousand; typeName returns them without allocating.
var knownTypes = [...]string{"NotifySubscriberRequest", "ConfigChangeNotifyRequest", "ClientDetectionRequest"}

func typeName(v []byte) string {
	for _, t := range knownTypes {
		if string(v) == t {
			return t
		}
	}
	return string(v)
}
