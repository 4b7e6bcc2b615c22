package echoshop_test

import (
	"io"
	"testing"

	"github.com/otel-http/otel-http/examples/go/echoshop"
	"github.com/otel-http/otel-http/examples/go/internal/shoptest"
	"github.com/otel-http/otel-http/examples/go/shop"
)

func TestRoutesAndTelemetry(t *testing.T) {
	tel := shoptest.Install(t)
	s := shop.New(echoshop.Framework, echoshop.ServiceName, shop.NewLog(io.Discard, echoshop.ServiceName, echoshop.Framework, 0))
	shoptest.Run(t, tel, echoshop.New(s), false)
}
