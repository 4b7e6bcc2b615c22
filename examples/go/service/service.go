// Package service is what every Go service's main does around its handler: telemetry first, then
// the server on PORT and HOST, a "listening" log line with url and metricsUrl (what the compare
// command and the distributed launcher wait for), and on SIGINT or SIGTERM the server stopped
// first, so that requests in flight finish and their spans end, then telemetry flushed.
package service

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/otel-http/otel-http/examples/go/telemetry"
)

// Host is the interface to listen on: HOST, else loopback only.
func Host() string {
	if host := os.Getenv("HOST"); host != "" {
		return host
	}
	return "127.0.0.1"
}

// Run serves handler until SIGINT or SIGTERM.
func Run(log *slog.Logger, tel *telemetry.Telemetry, handler http.Handler, defaultPort string) error {
	port := os.Getenv("PORT")
	if port == "" {
		port = defaultPort
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(Host(), port))
	if err != nil {
		return err
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	log.Info("listening", "url", "http://"+listener.Addr().String(), "metricsUrl", tel.PrometheusURL)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	select {
	case sig := <-signals:
		log.Info("stopping", "signal", sig.String())
	case err := <-served:
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = server.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("requests still running after 5 s; stopping anyway")
	}
	return errors.Join(err, tel.Shutdown(ctx))
}

// Name is OTEL_SERVICE_NAME, else fallback.
func Name(fallback string) string {
	if name := os.Getenv("OTEL_SERVICE_NAME"); name != "" {
		return name
	}
	return fallback
}

// LogLevel is LOG_LEVEL (debug, info, warn, error; silent for none), else info.
func LogLevel() slog.Level {
	switch os.Getenv("LOG_LEVEL") {
	case "debug", "trace":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error", "fatal":
		return slog.LevelError
	case "silent":
		return slog.LevelError + 100
	default:
		return slog.LevelInfo
	}
}
