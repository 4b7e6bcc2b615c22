// The shop on Echo: go run ./cmd/shop-echo. Telemetry first, then the server; both stop on SIGINT
// or SIGTERM.
package main

import (
	"context"
	"os"

	"github.com/otel-http/otel-http/examples/go/echoshop"
	"github.com/otel-http/otel-http/examples/go/service"
	"github.com/otel-http/otel-http/examples/go/shop"
	"github.com/otel-http/otel-http/examples/go/telemetry"
)

func main() {
	log := shop.NewLog(os.Stdout, echoshop.ServiceName, echoshop.Framework, service.LogLevel())
	tel, err := telemetry.Start(context.Background(), telemetry.Options{
		ServiceName: echoshop.ServiceName, MetricsPort: echoshop.DefaultMetricsPort,
	})
	if err != nil {
		log.Error("telemetry did not start", "err", err.Error())
		os.Exit(1)
	}
	s := shop.New(echoshop.Framework, service.Name(echoshop.ServiceName), log)
	if err := service.Run(log, tel, echoshop.New(s), echoshop.DefaultPort); err != nil {
		log.Error("stopped", "err", err.Error())
		os.Exit(1)
	}
}
