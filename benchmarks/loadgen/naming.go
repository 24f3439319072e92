package loadgen

import "encoding/json"

// The naming request bodies the scenarios send (NACOS_PROTOCOL.md A.8),
// in the default namespace and group.
type namingBody struct {
	RequestID   string `json:"requestId"`
	Module      string `json:"module"`
	Namespace   string `json:"namespace"`
	ServiceName string `json:"serviceName"`
	GroupName   string `json:"groupName"`
}

func naming(service string) namingBody {
	return namingBody{Module: "naming", ServiceName: service, GroupName: "DEFAULT_GROUP"}
}

type subscribeBody struct {
	namingBody
	Subscribe bool   `json:"subscribe"`
	Clusters  string `json:"clusters"`
}

type instanceBody struct {
	namingBody
	Type     string   `json:"type"`
	Instance instance `json:"instance"`
}

type instance struct {
	IP        string  `json:"ip"`
	Port      int     `json:"port"`
	Weight    float64 `json:"weight"`
	Healthy   bool    `json:"healthy"`
	Enabled   bool    `json:"enabled"`
	Ephemeral bool    `json:"ephemeral"`
}

// subscribeRequest is a SubscribeServiceRequest for every cluster.
func subscribeRequest(service string) []byte {
	return mustJSON(subscribeBody{namingBody: naming(service), Subscribe: true})
}

// instanceRequest is an InstanceRequest of type typ (registerInstance or
// deregisterInstance) for a healthy ephemeral instance ip:port.
func instanceRequest(typ, service, ip string, port int) []byte {
	return mustJSON(instanceBody{
		namingBody: naming(service), Type: typ,
		Instance: instance{IP: ip, Port: port, Weight: 1, Healthy: true, Enabled: true, Ephemeral: true},
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
