package gateway

import (
	"testing"

	"github.com/herald-gateway/herald/internal/nacoswire"
)

// TestEveryHandlerGuarded: a request type added to unaryHandlers without a
// guard would be served to anyone with auth on; only the two that touch
// nothing are open, as in Nacos.
func TestEveryHandlerGuarded(t *testing.T) {
	open := map[string]bool{nacoswire.TypeHealthCheckRequest: true}
	for typ := range unaryHandlers {
		if _, guarded := requestGuards[typ]; !guarded && !open[typ] {
			t.Errorf("%s has a handler but no guard in requestGuards", typ)
		}
	}
	for typ := range requestGuards {
		if _, served := unaryHandlers[typ]; !served {
			t.Errorf("%s is guarded but has no handler", typ)
		}
	}
}
