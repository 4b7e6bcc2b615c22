// Package echoshop is the shop on Echo, instrumented with otelhttp around the Echo server and one
// Echo middleware that reports the matched route. The contrib module otelecho is not used: its
// last release (v0.60.0, nothing newer is published) records no metrics and writes the pre-stable HTTP
// attributes (see README.md). The routes are the same, in the same order, as in the Node examples.
package echoshop

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otel-http/otel-http/examples/go/shop"
)

const (
	// Framework is what GET / and every log line name.
	Framework = "echo"
	// ServiceName is service.name unless OTEL_SERVICE_NAME is set.
	ServiceName = "example-echo"
	// DefaultPort and DefaultMetricsPort are used unless PORT and OTEL_EXPORTER_PROMETHEUS_PORT are set.
	// 9470 is the chain's gateway, so that both run at once and Prometheus scrapes each.
	DefaultPort        = "3006"
	DefaultMetricsPort = 9474
)

// New returns the shop on Echo wrapped in otelhttp, which takes the global providers and propagator.
func New(s *shop.Shop) http.Handler {
	app := echo.New()
	app.HideBanner = true
	app.HidePort = true

	// Runs after Echo matched the route, inside otelhttp's span.
	app.Use(ReportRoute)
	app.HTTPErrorHandler = answerErrors(s)

	app.GET("/", func(c echo.Context) error { return c.JSON(http.StatusOK, s.Index()) })

	app.GET("/health", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })

	app.GET("/users/:id", func(c echo.Context) error {
		user, ok := s.FindUser(c.Request().Context(), c.Param("id"))
		if !ok {
			return c.JSON(http.StatusNotFound, map[string]string{"error": "user not found"})
		}
		return c.JSON(http.StatusOK, user)
	})

	app.GET("/orders/:id", func(c echo.Context) error {
		order, ok := s.FindOrder(c.Request().Context(), c.Param("id"))
		if !ok {
			return c.JSON(http.StatusNotFound, map[string]string{"error": "order not found"})
		}
		return c.JSON(http.StatusOK, order)
	})

	app.POST("/orders", func(c echo.Context) error {
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		order, issues, err := shop.DecodeOrder(body)
		switch {
		case err != nil:
			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
		case issues != nil:
			return c.JSON(http.StatusBadRequest, map[string]any{"error": "invalid order", "issues": issues})
		default:
			return c.JSON(http.StatusCreated, s.CreateOrder(c.Request().Context(), order))
		}
	})

	app.GET("/error", func(echo.Context) error { return shop.ReserveStock() })

	app.GET("/events", func(c echo.Context) error {
		response := c.Response()
		for name, value := range shop.EventStreamHeaders {
			response.Header().Set(name, value)
		}
		response.WriteHeader(http.StatusOK)
		response.Flush()
		// A client that leaves early cancels the request's context; there is nothing left to answer.
		_ = shop.Tick(c.Request().Context(), func(message shop.Message) error {
			if _, err := io.WriteString(response, message.Format()); err != nil {
				return err
			}
			response.Flush()
			return nil
		})
		return nil
	})

	app.RouteNotFound("/*", func(c echo.Context) error { return c.JSON(http.StatusNotFound, shop.NotFound) })

	return otelhttp.NewHandler(app, ServiceName,
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/health" }),
		// The route is not known yet when the span starts; ReportRoute renames it.
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// ReportRoute names otelhttp's span after the route Echo matched and labels the span and the
// duration metric with it; and records a handler's error on the span, which otelhttp cannot see.
func ReportRoute(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		span := trace.SpanFromContext(ctx)
		if route := matchedRoute(c); route != "" {
			span.SetName(c.Request().Method + " " + route)
			span.SetAttributes(semconv.HTTPRoute(route))
			if labeler, ok := otelhttp.LabelerFromContext(ctx); ok {
				labeler.Add(semconv.HTTPRoute(route))
			}
		}
		err := next(c)
		var httpError *echo.HTTPError
		status := c.Response().Status
		if err != nil && !(errors.As(err, &httpError) && httpError.Code < 500) {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
			status = http.StatusInternalServerError // what answerErrors will write
		}
		// otelhttp puts no error.type on the metric; the shared alert rules count errors by it.
		if labeler, ok := otelhttp.LabelerFromContext(ctx); ok {
			labeler.Add(shop.ErrorTypeOf(status)...)
		}
		return err
	}
}

// matchedRoute is the route template Echo matched, or "" for none: the catch-all of
// RouteNotFound is no route of the application.
func matchedRoute(c echo.Context) string {
	if path := c.Path(); path != "/*" {
		return path
	}
	return ""
}

// answerErrors is Echo's error handler: the client's errors with their status, the others a 500
// with the details in the log, written inside the request's span.
func answerErrors(s *shop.Shop) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var httpError *echo.HTTPError
		if errors.As(err, &httpError) && httpError.Code < 500 {
			_ = c.JSON(httpError.Code, map[string]any{"error": httpError.Message})
			return
		}
		s.Log.ErrorContext(c.Request().Context(), "request failed", "err", err.Error())
		_ = c.JSON(http.StatusInternalServerError, shop.InternalError)
	}
}
