// The Go hop of the distributed chain: go run ./cmd/storefront (ORDERS_URL: where orders answers).
package main

import (
	"context"
	"os"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otel-http/otel-http/examples/go/service"
	"github.com/otel-http/otel-http/examples/go/shop"
	"github.com/otel-http/otel-http/examples/go/storefront"
	"github.com/otel-http/otel-http/examples/go/telemetry"
)

func main() {
	log := shop.NewLog(os.Stdout, storefront.Name, storefront.Framework, service.LogLevel())
	tel, err := telemetry.Start(context.Background(), telemetry.Options{
		ServiceName: storefront.Name,
		Attributes:  []attribute.KeyValue{attribute.String("service.namespace", storefront.Namespace)},
		MetricsPort: storefront.DefaultMetricsPort,
	})
	if err != nil {
		log.Error("telemetry did not start", "err", err.Error())
		os.Exit(1)
	}
	ordersURL := os.Getenv("ORDERS_URL")
	if ordersURL == "" {
		ordersURL = storefront.DefaultOrdersURL
	}
	if err := service.Run(log, tel, storefront.New(log, ordersURL), storefront.DefaultPort); err != nil {
		log.Error("stopped", "err", err.Error())
		os.Exit(1)
	}
}
