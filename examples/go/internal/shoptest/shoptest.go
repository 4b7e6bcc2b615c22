// Package shoptest runs the same route and telemetry checks against the shop on any framework:
// a real server on a loopback port, a real HTTP client, the real SDK with an in-memory span
// exporter and a manual metric reader.
package shoptest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/otel-http/otel-http/examples/go/shop"
)

// Case is one scripted request and what its telemetry must be.
type Case struct {
	Method, Path, Body string
	Status             int
	Span               string // the SERVER span's name
	Route              string // http.route on span and metric; "" for none
	Children           []string
	Error              bool // span status ERROR with an exception event
	Events             int  // sse.message events
	Ignored            bool
}

// Cases is the traffic of examples/compare, with what both Go examples record for it.
var Cases = []Case{
	{Method: "GET", Path: "/", Status: 200, Span: "GET /", Route: "/"},
	{Method: "GET", Path: "/health", Status: 200, Ignored: true},
	{Method: "GET", Path: "/users/1", Status: 200, Span: "GET /users/:id", Route: "/users/:id", Children: []string{"SELECT users"}},
	{Method: "GET", Path: "/users/42", Status: 404, Span: "GET /users/:id", Route: "/users/:id", Children: []string{"SELECT users"}},
	{Method: "GET", Path: "/orders/2", Status: 200, Span: "GET /orders/:id", Route: "/orders/:id", Children: []string{"SELECT orders", "SELECT users", "SELECT products"}},
	{Method: "POST", Path: "/orders", Body: `{"userId":"3","items":[{"productId":"p3","quantity":2}]}`, Status: 201, Span: "POST /orders", Route: "/orders", Children: []string{"INSERT orders"}},
	{Method: "POST", Path: "/orders", Body: `{"userId":"nobody","items":[{"productId":"p9","quantity":0}]}`, Status: 400, Span: "POST /orders", Route: "/orders"},
	{Method: "POST", Path: "/orders", Body: `{"userId": "1", "items": [`, Status: 400, Span: "POST /orders", Route: "/orders"},
	{Method: "GET", Path: "/error", Status: 500, Span: "GET /error", Route: "/error", Error: true},
	{Method: "GET", Path: "/events", Status: 200, Span: "GET /events", Route: "/events", Events: shop.EventCount},
	{Method: "GET", Path: "/no/such/page", Status: 404, Span: "GET"},
}

// Telemetry is the in-memory SDK a test installs globally.
type Telemetry struct {
	Spans   *tracetest.InMemoryExporter
	Metrics *sdkmetric.ManualReader
}

// Install sets in-memory global providers and the W3C propagators, restored when t ends.
func Install(t *testing.T) Telemetry {
	t.Helper()
	spans := tracetest.NewInMemoryExporter()
	reader := sdkmetric.NewManualReader()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	prevTP, prevMP, prevProp := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetMeterProvider(prevMP)
		otel.SetTextMapPropagator(prevProp)
	})
	return Telemetry{Spans: spans, Metrics: reader}
}

// Run sends every case to handler and checks its answer, span, children, events and metric.
// emptyRouteOn404 is otelgin's known defect (an empty http.route on an unmatched request).
func Run(t *testing.T, tel Telemetry, handler http.Handler, emptyRouteOn404 bool) {
	server := httptest.NewServer(handler)
	defer server.Close()
	for _, c := range Cases {
		t.Run(c.Method+" "+c.Path+" "+c.Body, func(t *testing.T) {
			tel.Spans.Reset()
			traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
			parentID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
			req, _ := http.NewRequest(c.Method, server.URL+c.Path, strings.NewReader(c.Body))
			req.Header.Set("traceparent", "00-"+traceID.String()+"-"+parentID.String()+"-01")
			if c.Body != "" {
				req.Header.Set("content-type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.Status {
				t.Fatalf("status %d, want %d (%s)", res.StatusCode, c.Status, body)
			}
			if c.Events > 0 && strings.Count(string(body), "event: tick") != c.Events {
				t.Errorf("event stream %q, want %d ticks", body, c.Events)
			}
			var servers, children []tracetest.SpanStub
			for _, span := range tel.Spans.GetSpans() {
				if span.SpanKind == trace.SpanKindServer {
					servers = append(servers, span)
				}
			}
			if c.Ignored {
				if len(servers) != 0 {
					t.Fatalf("ignored request has %d SERVER spans", len(servers))
				}
				return
			}
			if len(servers) != 1 {
				t.Fatalf("%d SERVER spans, want 1", len(servers))
			}
			server := servers[0]
			if server.Parent.SpanID() != parentID || server.SpanContext.TraceID() != traceID {
				t.Errorf("the SERVER span does not continue the caller's context")
			}
			if server.Name != c.Span {
				t.Errorf("span name %q, want %q", server.Name, c.Span)
			}
			route, hasRoute := attr(server.Attributes, "http.route")
			if c.Route != "" && route != c.Route {
				t.Errorf("http.route %q, want %q", route, c.Route)
			}
			if c.Route == "" && hasRoute && !(emptyRouteOn404 && route == "") {
				t.Errorf("http.route %q on an unmatched request", route)
			}
			if status, _ := attr(server.Attributes, "http.response.status_code"); status != itoa(c.Status) {
				t.Errorf("http.response.status_code %s, want %d", status, c.Status)
			}
			wantStatus := codes.Unset
			if c.Status >= 500 {
				wantStatus = codes.Error
			}
			if server.Status.Code != wantStatus {
				t.Errorf("span status %v, want %v", server.Status.Code, wantStatus)
			}
			exceptions, ticks := 0, 0
			for _, event := range server.Events {
				switch event.Name {
				case "exception":
					exceptions++
				case "sse.message":
					ticks++
				}
			}
			if (exceptions == 1) != c.Error || ticks != c.Events {
				t.Errorf("%d exception and %d sse.message events", exceptions, ticks)
			}
			for _, span := range tel.Spans.GetSpans() {
				if span.Parent.SpanID() == server.SpanContext.SpanID() {
					children = append(children, span)
				}
			}
			if len(children) != len(c.Children) {
				t.Errorf("%d child spans, want %v", len(children), c.Children)
			}
			for _, child := range children {
				if child.SpanKind != trace.SpanKindClient || !contains(c.Children, child.Name) {
					t.Errorf("child span %s (%v), want one of %v as CLIENT", child.Name, child.SpanKind, c.Children)
				}
			}
		})
	}

	t.Run("duration series", func(t *testing.T) {
		var data metricdata.ResourceMetrics
		if err := tel.Metrics.Collect(context.Background(), &data); err != nil {
			t.Fatal(err)
		}
		counts := map[string]uint64{}
		for _, scope := range data.ScopeMetrics {
			for _, m := range scope.Metrics {
				if m.Name != "http.server.request.duration" {
					continue
				}
				if m.Unit != "s" {
					t.Errorf("unit %q, want s", m.Unit)
				}
				for _, point := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					status, _ := point.Attributes.Value("http.response.status_code")
					if errorType, _ := point.Attributes.Value("error.type"); (status.AsInt64() >= 500) != (errorType.Emit() == status.Emit()) {
						t.Errorf("status %s with error.type %q on the metric", status.Emit(), errorType.Emit())
					}
					method, _ := point.Attributes.Value("http.request.method")
					status, _ = point.Attributes.Value("http.response.status_code")
					route, _ := point.Attributes.Value("http.route")
					counts[method.Emit()+" "+status.Emit()+" "+route.Emit()] += point.Count
				}
			}
		}
		want := map[string]uint64{}
		for _, c := range Cases {
			if !c.Ignored {
				want[c.Method+" "+itoa(c.Status)+" "+c.Route]++
			}
		}
		for key, n := range want {
			if counts[key] != n {
				t.Errorf("series %q counted %d, want %d (all: %v)", key, counts[key], n, counts)
			}
		}
		if len(counts) != len(want) {
			t.Errorf("series %v, want %v", counts, want)
		}
	})
}

func attr(attrs []attribute.KeyValue, key string) (string, bool) {
	for _, kv := range attrs {
		if string(kv.Key) == key {
			return kv.Value.Emit(), true
		}
	}
	return "", false
}

func contains(list []string, item string) bool {
	for _, entry := range list {
		if entry == item {
			return true
		}
	}
	return false
}

func itoa(n int) string { return attribute.IntValue(n).Emit() }
