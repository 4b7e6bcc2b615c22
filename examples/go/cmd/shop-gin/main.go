// The shop on Gin: go run ./cmd/shop-gin. Telemetry first, then the server; both stop on SIGINT
// or SIGTERM.
package main

import (
	"context"
	"os"

	"github.com/otel-http/otel-http/examples/go/ginshop"
	"github.com/otel-http/otel-http/examples/go/service"
	"github.com/otel-http/otel-http/examples/go/shop"
	"github.com/otel-http/otel-http/examples/go/telemetry"
)

func main() {
	log := shop.NewLog(os.Stdout, ginshop.ServiceName, ginshop.Framework, service.LogLevel())
	tel, err := telemetry.Start(context.Background(), telemetry.Options{
		ServiceName: ginshop.ServiceName, MetricsPort: ginshop.DefaultMetricsPort,
	})
	if err != nil {
		log.Error("telemetry did not start", "err", err.Error())
		os.Exit(1)
	}
	s := shop.New(ginshop.Framework, service.Name(ginshop.ServiceName), log)
	if err := service.Run(log, tel, ginshop.New(s), ginshop.DefaultPort); err != nil {
		log.Error("stopped", "err", err.Error())
		os.Exit(1)
	}
}
