package loadgen

import (
	"encoding/json"

	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// The naming request bodies the scenarios send (NACOS_PROTOCOL.md A.8),
// in the default namespace and group.

func naming(service string) nacoswire.NamingRequest {
	return nacoswire.Naming(upstream.ServiceKey{Group: upstream.DefaultGroup, Name: service})
}

// subscribeRequest is a SubscribeServiceRequest for every cluster.
func subscribeRequest(service string) []byte {
	return mustJSON(nacoswire.SubscribeServiceRequest{NamingRequest: naming(service), Subscribe: true})
}

// instanceRequest is an InstanceRequest of type typ (registerInstance or
// deregisterInstance) for a healthy ephemeral instance ip:port.
func instanceRequest(typ, service, ip string, port int) []byte {
	return mustJSON(nacoswire.InstanceRequest{
		NamingRequest: naming(service), Type: typ,
		Instance: &upstream.Instance{IP: ip, Port: uint64(port), Weight: 1, Healthy: true, Enabled: true, Ephemeral: true},
	})
}

// mustJSON encodes plain structs, which always encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
