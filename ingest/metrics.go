package ingest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

type metrics struct {
	requests        *prometheus.CounterVec
	requestSeconds  *prometheus.HistogramVec
	accepted        prometheus.Counter
	rejected        prometheus.Counter
	publishFailures prometheus.Counter
	publishSeconds  prometheus.Histogram
	overloaded      prometheus.Counter
}

// newMetrics creates the ingest metrics, registered with r unless it is nil.
func newMetrics(r prometheus.Registerer) *metrics {
	f := promauto.With(r)
	return &metrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "tend_ingest_requests_total",
			Help: "HTTP requests to ingest, by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		requestSeconds: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tend_ingest_request_duration_seconds",
			Help:    "Time to answer an ingest request, by endpoint.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"endpoint"}),
		overloaded: f.NewCounter(prometheus.CounterOpts{
			Name: "tend_ingest_overloaded_total",
			Help: "Requests answered 503 before their body was read: too many requests or bytes in flight.",
		}),
		accepted: f.NewCounter(prometheus.CounterOpts{
			Name: "tend_ingest_checkins_accepted_total",
			Help: "Check-ins acknowledged by JetStream and answered 202.",
		}),
		rejected: f.NewCounter(prometheus.CounterOpts{
			Name: "tend_ingest_checkins_rejected_total",
			Help: "Check-ins refused as invalid (4xx).",
		}),
		publishFailures: f.NewCounter(prometheus.CounterOpts{
			Name: "tend_ingest_publish_failures_total",
			Help: "Publishes to JetStream that failed or timed out (answered 503).",
		}),
		publishSeconds: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "tend_ingest_publish_duration_seconds",
			Help:    "Time from publish to JetStream ack.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 15),
		}),
	}
}

// instrument counts and times the requests h serves under endpoint.
func (s *Server) instrument(endpoint string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.metrics.requests.WithLabelValues(endpoint, strconv.Itoa(sw.status)).Inc()
		s.metrics.requestSeconds.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
