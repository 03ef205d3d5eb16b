package reporting

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/tendhq/tend/internal/clickhouse"
)

type metrics struct {
	published   prometheus.Counter
	seconds     prometheus.Histogram
	late        prometheus.Counter
	failures    prometheus.Counter
	alertActive *prometheus.GaugeVec
	transitions *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		published: f.NewCounter(prometheus.CounterOpts{
			Name: "tend_reporting_periods_published_total",
			Help: "Clinic periods of one instrument published (each once).",
		}),
		seconds: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "tend_reporting_publish_duration_seconds",
			Help:    "Time to compute, claim and write one clinic period.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		late: f.NewCounter(prometheus.CounterOpts{
			Name: "tend_reporting_late_checkins_total",
			Help: "Check-ins stored after their period was published: counted, never folded into a published figure.",
		}),
		failures: f.NewCounter(prometheus.CounterOpts{
			Name: "tend_reporting_pass_failures_total",
			Help: "Reporting passes that failed (retried at the next pass).",
		}),
		alertActive: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tend_team_alert_active",
			Help: "1 while a team alert fires, 0 once resolved. Teams only, never individuals.",
		}, []string{"clinic", "team", "instrument", "rule"}),
		transitions: f.NewCounterVec(prometheus.CounterOpts{
			Name: "tend_team_alert_transitions_total",
			Help: "Team alert transitions published, by rule and state.",
		}, []string{"rule", "state"}),
	}
}

func (m *metrics) setAlert(a clickhouse.AlertRow, firing bool) {
	v := 0.0
	if firing {
		v = 1
	}
	m.alertActive.WithLabelValues(a.Clinic, a.Team, a.Instrument, a.Rule).Set(v)
}
