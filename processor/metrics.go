package processor

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

type metrics struct {
	stored         prometheus.Counter
	deadLettered   *prometheus.CounterVec
	redelivered    prometheus.Counter
	insertFailures prometheus.Counter
	insertSeconds  prometheus.Histogram
	batchSize      prometheus.Histogram
	batchSeconds   prometheus.Histogram
}

// newMetrics creates the processor metrics, registered with r unless nil.
func newMetrics(r prometheus.Registerer) *metrics {
	f := promauto.With(r)
	return &metrics{
		stored: f.NewCounter(prometheus.CounterOpts{
			Name: "tend_processor_checkins_stored_total",
			Help: "Check-ins stored in ClickHouse and acked (redeliveries included).",
		}),
		deadLettered: f.NewCounterVec(prometheus.CounterOpts{
			Name: "tend_processor_deadlettered_total",
			Help: "Messages dead-lettered to TEND_DEADLETTER, by reason.",
		}, []string{"reason"}),
		redelivered: f.NewCounter(prometheus.CounterOpts{
			Name: "tend_processor_redeliveries_total",
			Help: "Messages received more than once (a processor crashed or was slow to ack).",
		}),
		insertFailures: f.NewCounter(prometheus.CounterOpts{
			Name: "tend_processor_insert_failures_total",
			Help: "Failed batch inserts into ClickHouse; each is retried with back-off.",
		}),
		insertSeconds: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "tend_processor_insert_duration_seconds",
			Help:    "Time of one batch insert into ClickHouse.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		batchSize: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "tend_processor_batch_messages",
			Help:    "Messages per fetched batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 15),
		}),
		batchSeconds: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "tend_processor_batch_duration_seconds",
			Help:    "Time from a fetched batch to its acks.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
	}
}
