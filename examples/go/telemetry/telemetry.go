// Package telemetry wires the OpenTelemetry Go SDK the way the Node examples' @otel-http/node
// does: spans over OTLP/HTTP when OTEL_TRACES_EXPORTER=otlp (or an OTLP endpoint is set), metrics
// on a Prometheus endpoint, W3C trace context and baggage.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprometheus "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Options are what a service decides; the standard variables still win where they exist.
type Options struct {
	// ServiceName is service.name unless OTEL_SERVICE_NAME is set.
	ServiceName string
	// Attributes are more resource attributes (service.namespace, ...).
	Attributes []attribute.KeyValue
	// MetricsPort is the Prometheus port unless OTEL_EXPORTER_PROMETHEUS_PORT is set (0: a free one).
	MetricsPort int
	// PrometheusUnitSuffixes keeps the Go exporter's default names (http_server_request_duration_seconds).
	// Off, the names are those the JavaScript exporter writes, so that one dashboard and one set of
	// rules serve both languages: see README.md, "One dashboard".
	PrometheusUnitSuffixes bool
}

// Telemetry is the running SDK.
type Telemetry struct {
	// PrometheusURL is where the metrics are scraped.
	PrometheusURL string
	shutdown      []func(context.Context) error
}

// PrometheusStrategy is the name translation the examples use: the semantic conventions' names with
// dots as underscores and no unit or _total suffix, what the JavaScript exporter writes.
func PrometheusStrategy(unitSuffixes bool) otlptranslator.TranslationStrategyOption {
	if unitSuffixes {
		return otlptranslator.UnderscoreEscapingWithSuffixes
	}
	return otlptranslator.UnderscoreEscapingWithoutSuffixes
}

// Start sets the global tracer provider, meter provider and propagator.
func Start(ctx context.Context, options Options) (*Telemetry, error) {
	attrs := append([]attribute.KeyValue{attribute.String("service.name", options.ServiceName)}, options.Attributes...)
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attrs...),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil {
		return nil, err
	}
	t := &Telemetry{}

	var traceOptions []sdktrace.TracerProviderOption
	if wantsOTLP() {
		exporter, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, err
		}
		// The batch processor reads OTEL_BSP_SCHEDULE_DELAY and the other OTEL_BSP_* variables.
		traceOptions = append(traceOptions, sdktrace.WithBatcher(exporter))
	}
	tracerProvider := sdktrace.NewTracerProvider(append(traceOptions, sdktrace.WithResource(res))...)
	t.shutdown = append(t.shutdown, tracerProvider.Shutdown)
	otel.SetTracerProvider(tracerProvider)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))

	registry := prometheus.NewRegistry()
	reader, err := otelprometheus.New(
		otelprometheus.WithRegisterer(registry),
		otelprometheus.WithTranslationStrategy(PrometheusStrategy(options.PrometheusUnitSuffixes)),
	)
	if err != nil {
		return nil, err
	}
	meterProvider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(res))
	t.shutdown = append(t.shutdown, meterProvider.Shutdown)
	otel.SetMeterProvider(meterProvider)

	host := envOr("OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1")
	port := envOr("OTEL_EXPORTER_PROMETHEUS_PORT", fmt.Sprint(options.MetricsPort))
	listener, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("prometheus endpoint: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = server.Serve(listener) }()
	t.PrometheusURL = "http://" + listener.Addr().String() + "/metrics"
	t.shutdown = append(t.shutdown, server.Shutdown)
	return t, nil
}

// Shutdown flushes the last spans and stops the providers and the Prometheus endpoint.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, stop := range t.shutdown {
		errs = append(errs, stop(ctx))
	}
	return errors.Join(errs...)
}

func wantsOTLP() bool {
	if exporter := os.Getenv("OTEL_TRACES_EXPORTER"); exporter != "" {
		return exporter == "otlp"
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
