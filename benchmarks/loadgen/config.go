package loadgen

import (
	"context"
	"fmt"
	"strconv"

	"github.com/herald-gateway/herald/internal/nacoswire"
)

// Kinds of the fan-out scenario.
const (
	KindNaming = "naming"
	KindConfig = "config"
)

// The config request bodies the scenarios send (NACOS_PROTOCOL.md A.9), in
// the default namespace and group.

func configRequest(dataID string) nacoswire.ConfigRequest {
	return nacoswire.ConfigRequest{Request: nacoswire.Request{Module: "config"}, DataID: dataID, Group: "DEFAULT_GROUP"}
}

// publishRequest publishes change i of dataID.
func publishRequest(dataID string, i int) []byte {
	return mustJSON(nacoswire.ConfigPublishRequest{ConfigRequest: configRequest(dataID), Content: "change=" + strconv.Itoa(i)})
}

// listenRequest listens to dataID holding nothing (md5 "").
func listenRequest(dataID string) []byte {
	return mustJSON(nacoswire.ConfigBatchListenRequest{ConfigRequest: nacoswire.ConfigRequest{Request: nacoswire.Request{Module: "config"}},
		Listen: true, ConfigListenContexts: []nacoswire.ConfigListenContext{{DataID: dataID, Group: "DEFAULT_GROUP"}}})
}

// openListener opens a connection listening to dataID.
func openListener(ctx context.Context, addr, dataID string, onPush func(Push)) (*Conn, error) {
	c, err := Open(ctx, addr, onPush)
	if err != nil {
		return nil, err
	}
	if _, err := c.Call(ctx, "ConfigBatchListenRequest", listenRequest(dataID)); err != nil {
		c.Close()
		return nil, fmt.Errorf("listen %s: %w", dataID, err)
	}
	return c, nil
}
