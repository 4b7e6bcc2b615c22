// Package storefront is the Go hop of the distributed chain (examples/distributed), on Gin:
// gateway (Hono) → storefront (Gin) → orders (Express) → pricing (Fastify) → inventory (Koa).
// It forwards GET /orders/:id to orders through an otelhttp transport, so that the trace and the
// baggage go on through Go's propagator.
package storefront

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"
)

const (
	// Name is service.name unless OTEL_SERVICE_NAME is set; Framework names it on every log line.
	Name      = "storefront"
	Framework = "gin"
	// Namespace is service.namespace, the one of the whole chain.
	Namespace = "shop-distributed"
	// DefaultPort, DefaultMetricsPort and DefaultOrdersURL are used unless PORT,
	// OTEL_EXPORTER_PROMETHEUS_PORT and ORDERS_URL are set.
	DefaultPort        = "4005"
	DefaultMetricsPort = 9475
	DefaultOrdersURL   = "http://127.0.0.1:4001"
	// TenantKey is the baggage member the chain carries; each hop copies it onto its server span.
	TenantKey = "shop.tenant"
)

// New returns the storefront, which calls orders at ordersURL.
func New(log *slog.Logger, ordersURL string) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	client := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)}
	app := gin.New()
	app.Use(otelgin.Middleware(Name))

	app.GET("/orders/:id", func(c *gin.Context) {
		ctx := c.Request.Context()
		if tenant := baggage.FromContext(ctx).Member(TenantKey).Value(); tenant != "" {
			trace.SpanFromContext(ctx).SetAttributes(attribute.String(TenantKey, tenant))
		}
		request, err := http.NewRequestWithContext(ctx, http.MethodGet,
			ordersURL+"/orders/"+url.PathEscape(c.Param("id")), nil)
		if err != nil {
			_ = c.Error(err)
			c.JSON(http.StatusInternalServerError, gin.H{"error": "internal error"})
			return
		}
		response, err := client.Do(request)
		if err != nil {
			_ = c.Error(err)
			c.JSON(http.StatusBadGateway, gin.H{"error": "orders did not answer"})
			return
		}
		defer response.Body.Close()
		body, _ := io.ReadAll(response.Body)
		log.InfoContext(ctx, "order forwarded", "orderId", c.Param("id"), "status", response.StatusCode)
		c.Data(response.StatusCode, response.Header.Get("Content-Type"), body)
	})
	return app
}
