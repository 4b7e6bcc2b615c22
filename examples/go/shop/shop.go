// Package shop is the shop every Go example serves, the same as examples/shop serves to the Node
// examples: a simulated database whose queries are CLIENT child spans of the request, order
// validation, the error of GET /error and the messages of GET /events. It knows no framework.
package shop

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the query spans.
const ScopeName = "github.com/otel-http/otel-http/examples/go/shop"

// User is a customer.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Product is something to order.
type Product struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Price int    `json:"price"`
}

// Item is one line of an order.
type Item struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

// Order is what POST /orders stores and GET /orders/:id loads.
type Order struct {
	ID       string    `json:"id"`
	UserID   string    `json:"userId"`
	Items    []Item    `json:"items"`
	User     *User     `json:"user,omitempty"`
	Products []Product `json:"products,omitempty"`
}

var users = map[string]User{
	"1": {ID: "1", Name: "Ada Lovelace"},
	"2": {ID: "2", Name: "Alan Turing"},
	"3": {ID: "3", Name: "Grace Hopper"},
}

var products = map[string]Product{
	"p1": {ID: "p1", Name: "Keyboard", Price: 49},
	"p2": {ID: "p2", Name: "Mouse", Price: 19},
	"p3": {ID: "p3", Name: "Monitor", Price: 199},
}

func initialOrders() map[string]Order {
	return map[string]Order{
		"1": {ID: "1", UserID: "1", Items: []Item{{ProductID: "p1", Quantity: 1}}},
		"2": {ID: "2", UserID: "2", Items: []Item{{ProductID: "p2", Quantity: 2}, {ProductID: "p3", Quantity: 1}}},
	}
}

// firstOrderID is the id of the first order a shop takes.
const firstOrderID = 1000

// Routes is what GET / lists, in the order every example registers them.
var Routes = []string{
	"GET /", "GET /health", "GET /users/:id", "GET /orders/:id", "POST /orders", "GET /error", "GET /events",
}

// NotFound is the body of every 404 the service answers itself when no route matched.
var NotFound = map[string]string{"error": "not found"}

// InternalError is the body of every 500: the details go to the log and the span.
var InternalError = map[string]string{"error": "internal error"}

// EventCount and EventInterval say how many messages GET /events sends, and how far apart.
const (
	EventCount    = 3
	EventInterval = 100 * time.Millisecond
)

// InventoryUnavailableError is what GET /error fails with.
type InventoryUnavailableError struct{}

func (*InventoryUnavailableError) Error() string { return "the inventory service did not answer" }

// ReserveStock is what GET /error calls.
func ReserveStock() error { return &InventoryUnavailableError{} }

// Shop is the shop of one service, on orders of its own.
type Shop struct {
	Framework   string
	ServiceName string
	Log         *slog.Logger
	tracer      trace.Tracer

	mu          sync.Mutex
	orders      map[string]Order
	nextOrderID int
}

// New returns the shop of the service called serviceName, on framework, logging to log.
func New(framework, serviceName string, log *slog.Logger) *Shop {
	return &Shop{
		Framework:   framework,
		ServiceName: serviceName,
		Log:         log,
		tracer:      otel.Tracer(ScopeName),
		orders:      initialOrders(),
		nextOrderID: firstOrderID,
	}
}

// Index is what GET / answers.
func (s *Shop) Index() map[string]any {
	return map[string]any{"service": s.ServiceName, "framework": s.Framework, "routes": Routes}
}

// query is one simulated query: a CLIENT span, child of the span in ctx, described as the
// database semantic conventions ask, that lasts a few milliseconds.
func (s *Shop) query(ctx context.Context, operation, table, text string) {
	_, span := s.tracer.Start(ctx, operation+" "+table,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("db.system.name", "other_sql"),
			attribute.String("db.namespace", "shop"),
			attribute.String("db.collection.name", table),
			attribute.String("db.operation.name", operation),
			attribute.String("db.query.text", text),
		))
	defer span.End()
	time.Sleep(2*time.Millisecond + time.Duration(rand.Float64()*6*float64(time.Millisecond)))
}

// FindUser returns the user with this id, if there is one.
func (s *Shop) FindUser(ctx context.Context, id string) (User, bool) {
	s.query(ctx, "SELECT", "users", "SELECT id, name FROM users WHERE id = ?")
	user, ok := users[id]
	s.Log.InfoContext(ctx, "user lookup", "userId", id, "found", ok)
	return user, ok
}

// FindOrder returns the order with this id with, loaded in parallel, its user and products.
func (s *Shop) FindOrder(ctx context.Context, id string) (Order, bool) {
	s.query(ctx, "SELECT", "orders", "SELECT id, user_id, items FROM orders WHERE id = ?")
	s.mu.Lock()
	order, ok := s.orders[id]
	s.mu.Unlock()
	if !ok {
		s.Log.InfoContext(ctx, "order lookup", "orderId", id, "found", false)
		return Order{}, false
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.query(ctx, "SELECT", "users", "SELECT id, name FROM users WHERE id = ?") })
	wg.Go(func() { s.query(ctx, "SELECT", "products", "SELECT id, name, price FROM products WHERE id IN (?)") })
	wg.Wait()
	user := users[order.UserID]
	order.User = &user
	for _, item := range order.Items {
		order.Products = append(order.Products, products[item.ProductID])
	}
	s.Log.InfoContext(ctx, "order lookup", "orderId", id, "found", true, "products", len(order.Products))
	return order, true
}

// CreateOrder stores a valid order (see ValidateOrder) and returns it with its new id.
func (s *Shop) CreateOrder(ctx context.Context, order Order) Order {
	s.mu.Lock()
	order.ID = strconv.Itoa(s.nextOrderID)
	s.nextOrderID++
	s.mu.Unlock()
	s.query(ctx, "INSERT", "orders", "INSERT INTO orders (id, user_id, items) VALUES (?, ?, ?)")
	s.mu.Lock()
	s.orders[order.ID] = order
	s.mu.Unlock()
	s.Log.InfoContext(ctx, "order created", "orderId", order.ID, "items", len(order.Items))
	return order
}

// ErrMalformed is returned by DecodeOrder for a body that is not JSON: the client's fault, a 400.
type ErrMalformed struct{ Err error }

func (e *ErrMalformed) Error() string { return e.Err.Error() }

// DecodeOrder reads the body of POST /orders: the order when it is valid, else the issues, one
// message per problem; an *ErrMalformed when the body is not JSON at all.
func DecodeOrder(body []byte) (Order, []string, error) {
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return Order{}, nil, &ErrMalformed{Err: err}
	}
	order, issues := ValidateOrder(value)
	return order, issues, nil
}

// ValidateOrder checks a decoded body: { userId, items: [{ productId, quantity }] } with a known
// user, known products and quantities from 1 to 99.
func ValidateOrder(body any) (Order, []string) {
	object, ok := body.(map[string]any)
	if !ok {
		return Order{}, []string{"the body must be a JSON object"}
	}
	var issues []string
	userID, ok := object["userId"].(string)
	if _, known := users[userID]; !ok || !known {
		issues = append(issues, "userId must be the id of a known user")
	}
	list, ok := object["items"].([]any)
	var items []Item
	if !ok || len(list) == 0 || len(list) > 20 {
		issues = append(issues, "items must be a list of 1 to 20 items")
	} else {
		for index, entry := range list {
			item, _ := entry.(map[string]any)
			productID, ok := item["productId"].(string)
			if _, known := products[productID]; !ok || !known {
				issues = append(issues, fmt.Sprintf("items[%d].productId must be the id of a known product", index))
			}
			quantity, ok := item["quantity"].(float64)
			if !ok || quantity != float64(int(quantity)) || quantity < 1 || quantity > 99 {
				issues = append(issues, fmt.Sprintf("items[%d].quantity must be a whole number from 1 to 99", index))
			}
			items = append(items, Item{ProductID: productID, Quantity: int(quantity)})
		}
	}
	if len(issues) > 0 {
		return Order{}, issues
	}
	return Order{UserID: userID, Items: items}, nil
}

// Message is one message of the event stream.
type Message struct {
	ID, Event, Data string
}

// Format is the message in the text/event-stream format.
func (m Message) Format() string {
	return "id: " + m.ID + "\nevent: " + m.Event + "\ndata: " + m.Data + "\n\n"
}

// Tick sends the messages of GET /events to send, EventInterval apart, and records each one as an
// event on the request's span, so that the trace shows when every message was sent. It stops
// early, with the context's error, when the client leaves.
func Tick(ctx context.Context, send func(Message) error) error {
	span := trace.SpanFromContext(ctx)
	for n := 1; n <= EventCount; n++ {
		if n > 1 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(EventInterval):
			}
		}
		id := strconv.Itoa(n)
		span.AddEvent("sse.message", trace.WithAttributes(
			attribute.String("sse.event.id", id), attribute.String("sse.event.type", "tick")))
		data, _ := json.Marshal(map[string]int{"n": n, "of": EventCount})
		if err := send(Message{ID: id, Event: "tick", Data: string(data)}); err != nil {
			return err
		}
	}
	return nil
}

// EventStreamHeaders are the headers of GET /events.
var EventStreamHeaders = map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}

// Copy of the users, for the tests.
func Users() map[string]User { return maps.Clone(users) }

// ErrorTypeOf is the error.type the conventions give a response without an error of its own: the
// status code of a 5xx as a string, none otherwise. The Go instrumentations do not set it on the
// duration metric; the examples add it there, so that one set of alert rules counts Go errors too.
func ErrorTypeOf(status int) []attribute.KeyValue {
	if status < 500 {
		return nil
	}
	return []attribute.KeyValue{attribute.String("error.type", strconv.Itoa(status))}
}
