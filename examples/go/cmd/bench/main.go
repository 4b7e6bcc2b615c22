// Command bench is the Go reference of the benchmark matrix (benchmarks/, `pnpm bench`): the same
// route as the Node servers, `GET /users/:id` answering a small JSON body, on Gin or on Echo, bare
// or instrumented the way the examples are (otelgin; otelhttp around Echo with the matched route
// reported from Echo).
//
//	bench <gin|echo> <bare|instrumented|instrumented-10%|instrumented-metrics>
//
// The SDK is set up as the Node servers set it up: a parent-based ratio sampler, a batch span
// processor into an exporter that only counts, and a meter provider whose reader is never
// collected during the measurement. `instrumented-metrics` keeps the instrumentation and its
// metrics and gives it a tracer provider that records nothing, as otel-http's `tracing: false`.
//
// It talks to the harness over stdio, one JSON object per line: it writes
// {"type":"ready","port":N,"node":"go1.x"} when it listens on 127.0.0.1; every line "counts" on
// stdin is answered with {"type":"counts","handled":N,"spans":{...},"durationPoints":N}; the end of
// stdin stops it.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/otel-http/otel-http/examples/go/echoshop"
)

const serviceName = "bench"

// durationMetric is the stable conventions' duration histogram, which both instrumentations record.
const durationMetric = "http.server.request.duration"

type user struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

func userBody(id string) user { return user{ID: id, Name: "User " + id, Roles: []string{"reader"}} }

// countingExporter counts the spans it is given, so that the SDK does its end-of-span and batching
// work while nothing is serialised or sent.
type countingExporter struct{ server, other atomic.Int64 }

func (e *countingExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, span := range spans {
		if span.SpanKind() == trace.SpanKindServer {
			e.server.Add(1)
		} else {
			e.other.Add(1)
		}
	}
	return nil
}

func (e *countingExporter) Shutdown(context.Context) error { return nil }

type telemetry struct {
	tracerProvider *sdktrace.TracerProvider
	reader         *sdkmetric.ManualReader
	exporter       *countingExporter
}

// start registers the global providers of an instrumented mode; nil for bare.
func start(mode string) (*telemetry, error) {
	var ratio float64
	switch mode {
	case "bare":
		return nil, nil
	case "instrumented", "instrumented-metrics":
		ratio = 1
	case "instrumented-10%":
		ratio = 0.1
	default:
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	t := &telemetry{reader: sdkmetric.NewManualReader(), exporter: &countingExporter{}}
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(t.reader)))
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if mode == "instrumented-metrics" {
		otel.SetTracerProvider(noop.NewTracerProvider())
		return t, nil
	}
	t.tracerProvider = sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
		sdktrace.WithBatcher(t.exporter),
	)
	otel.SetTracerProvider(t.tracerProvider)
	return t, nil
}

type counts struct {
	Type    string `json:"type"`
	Handled int64  `json:"handled"`
	Spans   struct {
		Server int64 `json:"server"`
		Other  int64 `json:"other"`
	} `json:"spans"`
	DurationPoints uint64 `json:"durationPoints"`
}

// counts flushes the pending spans and reads the duration histogram's count.
func (t *telemetry) counts(ctx context.Context, handled int64) (counts, error) {
	c := counts{Type: "counts", Handled: handled}
	if t == nil {
		return c, nil
	}
	if t.tracerProvider != nil {
		if err := t.tracerProvider.ForceFlush(ctx); err != nil {
			return c, err
		}
	}
	var data metricdata.ResourceMetrics
	if err := t.reader.Collect(ctx, &data); err != nil {
		return c, err
	}
	for _, scope := range data.ScopeMetrics {
		for _, metric := range scope.Metrics {
			if metric.Name != durationMetric {
				continue
			}
			if histogram, ok := metric.Data.(metricdata.Histogram[float64]); ok {
				for _, point := range histogram.DataPoints {
					c.DurationPoints += point.Count
				}
			}
		}
	}
	c.Spans.Server = t.exporter.server.Load()
	c.Spans.Other = t.exporter.other.Load()
	return c, nil
}

// handler is the application of a framework and mode; onHandled counts the answered requests.
func handler(framework string, instrumented bool, onHandled func()) (http.Handler, error) {
	switch framework {
	case "gin":
		gin.SetMode(gin.ReleaseMode)
		app := gin.New()
		if instrumented {
			app.Use(otelgin.Middleware(serviceName))
		}
		app.GET("/users/:id", func(c *gin.Context) {
			onHandled()
			c.JSON(http.StatusOK, userBody(c.Param("id")))
		})
		return app, nil
	case "echo":
		app := echo.New()
		app.HideBanner = true
		app.HidePort = true
		if instrumented {
			app.Use(echoshop.ReportRoute)
		}
		app.GET("/users/:id", func(c echo.Context) error {
			onHandled()
			return c.JSON(http.StatusOK, userBody(c.Param("id")))
		})
		if !instrumented {
			return app, nil
		}
		return otelhttp.NewHandler(app, serviceName,
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
		), nil
	}
	return nil, fmt.Errorf("unknown framework %q", framework)
}

func run() error {
	if len(os.Args) != 3 {
		return fmt.Errorf("usage: bench <gin|echo> <bare|instrumented|instrumented-10%%|instrumented-metrics>")
	}
	framework, mode := os.Args[1], os.Args[2]
	t, err := start(mode)
	if err != nil {
		return err
	}
	var handled atomic.Int64
	h, err := handler(framework, mode != "bare", func() { handled.Add(1) })
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	server := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()

	out := json.NewEncoder(os.Stdout)
	port := listener.Addr().(*net.TCPAddr).Port
	if err := out.Encode(map[string]any{"type": "ready", "port": port, "node": runtime.Version()}); err != nil {
		return err
	}
	lines := bufio.NewScanner(os.Stdin)
	for lines.Scan() {
		if lines.Text() != "counts" {
			continue
		}
		c, err := t.counts(context.Background(), handled.Load())
		if err != nil {
			return err
		}
		if err := out.Encode(c); err != nil {
			return err
		}
	}
	// The harness closed stdin: nothing will measure this server any more.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return server.Shutdown(ctx)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
