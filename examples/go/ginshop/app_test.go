package ginshop_test

import (
	"io"
	"testing"

	"github.com/otel-http/otel-http/examples/go/ginshop"
	"github.com/otel-http/otel-http/examples/go/internal/shoptest"
	"github.com/otel-http/otel-http/examples/go/shop"
)

func TestRoutesAndTelemetry(t *testing.T) {
	tel := shoptest.Install(t)
	s := shop.New(ginshop.Framework, ginshop.ServiceName, shop.NewLog(io.Discard, ginshop.ServiceName, ginshop.Framework, 0))
	shoptest.Run(t, tel, ginshop.New(s), true)
}
