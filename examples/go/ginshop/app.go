// Package ginshop is the shop on Gin, instrumented with otelgin from the OpenTelemetry Go contrib
// repository. The routes are the same, in the same order, as in the Node examples.
package ginshop

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/otel/attribute"

	"github.com/otel-http/otel-http/examples/go/shop"
)

const (
	// Framework is what GET / and every log line name.
	Framework = "gin"
	// ServiceName is service.name unless OTEL_SERVICE_NAME is set.
	ServiceName = "example-gin"
	// DefaultPort and DefaultMetricsPort are used unless PORT and OTEL_EXPORTER_PROMETHEUS_PORT are set.
	DefaultPort        = "3005"
	DefaultMetricsPort = 9469
)

// New returns the shop on Gin. otelgin takes the global providers and propagator.
func New(s *shop.Shop) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	app := gin.New()

	// First, so that every later middleware and handler runs with the request's span in its context.
	app.Use(otelgin.Middleware(ServiceName,
		otelgin.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/health" }),
		// otelgin puts no error.type on the metric; the shared alert rules count errors by it.
		otelgin.WithGinMetricAttributeFn(func(c *gin.Context) []attribute.KeyValue {
			return shop.ErrorTypeOf(c.Writer.Status())
		}),
	))
	app.Use(answerErrors(s))

	app.GET("/", func(c *gin.Context) { c.JSON(http.StatusOK, s.Index()) })

	app.GET("/health", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })

	app.GET("/users/:id", func(c *gin.Context) {
		user, ok := s.FindUser(c.Request.Context(), c.Param("id"))
		if !ok {
			c.JSON(http.StatusNotFound, gin.H{"error": "user not found"})
			return
		}
		c.JSON(http.StatusOK, user)
	})

	app.GET("/orders/:id", func(c *gin.Context) {
		order, ok := s.FindOrder(c.Request.Context(), c.Param("id"))
		if !ok {
			c.JSON(http.StatusNotFound, gin.H{"error": "order not found"})
			return
		}
		c.JSON(http.StatusOK, order)
	})

	app.POST("/orders", func(c *gin.Context) {
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			_ = c.Error(err)
			return
		}
		order, issues, err := shop.DecodeOrder(body)
		switch {
		case err != nil:
			c.JSON(http.StatusBadRequest, gin.H{"error": err.Error()})
		case issues != nil:
			c.JSON(http.StatusBadRequest, gin.H{"error": "invalid order", "issues": issues})
		default:
			c.JSON(http.StatusCreated, s.CreateOrder(c.Request.Context(), order))
		}
	})

	// Gin's way to fail a request: attach the error to the context; answerErrors answers it, and
	// otelgin records every attached error on the span.
	app.GET("/error", func(c *gin.Context) { _ = c.Error(shop.ReserveStock()) })

	app.GET("/events", func(c *gin.Context) {
		for name, value := range shop.EventStreamHeaders {
			c.Header(name, value)
		}
		c.Status(http.StatusOK)
		c.Writer.WriteHeaderNow()
		c.Writer.Flush()
		// A client that leaves early cancels the request's context; there is nothing left to answer.
		_ = shop.Tick(c.Request.Context(), func(message shop.Message) error {
			if _, err := io.WriteString(c.Writer, message.Format()); err != nil {
				return err
			}
			c.Writer.Flush()
			return nil
		})
	})

	app.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, shop.NotFound) })

	return app
}

// answerErrors answers a request that failed with an error attached to it and nothing written yet.
// It runs inside the request's span: the log line carries its trace id.
func answerErrors(s *shop.Shop) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		s.Log.ErrorContext(c.Request.Context(), "request failed", "err", c.Errors.Last().Error())
		c.JSON(http.StatusInternalServerError, shop.InternalError)
	}
}
