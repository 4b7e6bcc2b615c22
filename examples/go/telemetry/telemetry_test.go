package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/otel-http/otel-http/examples/go/telemetry"
)

// scrape starts the SDK, records one duration as the HTTP conventions name it, and returns the
// Prometheus text.
func scrape(t *testing.T, unitSuffixes bool) string {
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_EXPORTER_PROMETHEUS_PORT", "0")
	tel, err := telemetry.Start(context.Background(), telemetry.Options{ServiceName: "measured", PrometheusUnitSuffixes: unitSuffixes})
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	histogram, _ := otel.Meter("measure").Float64Histogram("http.server.request.duration", metric.WithUnit("s"))
	histogram.Record(context.Background(), 0.02)
	res, err := http.Get(tel.PrometheusURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	text, _ := io.ReadAll(res.Body)
	return string(text)
}

// The measurement behind README.md "One dashboard": the Go exporter's default adds the unit, the
// JavaScript one does not; the examples configure Go to write the JavaScript names.
func TestPrometheusNames(t *testing.T) {
	if text := scrape(t, true); !strings.Contains(text, "http_server_request_duration_seconds_bucket{") {
		t.Errorf("the Go default no longer adds _seconds:\n%s", text)
	}
	text := scrape(t, false)
	if !strings.Contains(text, "http_server_request_duration_bucket{") || strings.Contains(text, "_seconds") {
		t.Errorf("configured names are not the JavaScript ones:\n%s", text)
	}
	if !strings.Contains(text, "target_info{") || !strings.Contains(text, `service_name="measured"`) {
		t.Errorf("no target_info with service_name:\n%s", text)
	}
}
