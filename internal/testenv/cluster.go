package testenv

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a NATS cluster of embedded servers with JetStream on
// loopback, for scale-out and fault tests.
type Cluster struct {
	Servers []*server.Server
}

// StartCluster starts n clustered JetStream servers and waits until they
// route to each other; cleanup shuts them down.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = FreePort(t)
	}
	var routes []*url.URL
	for _, p := range ports {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	dir := t.TempDir()
	c := &Cluster{}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("tend-%d", i),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   filepath.Join(dir, fmt.Sprint(i)),
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "tend", Host: "127.0.0.1", Port: ports[i]},
			Routes:     routes,
		}
		ns, err := server.NewServer(opts)
		if err != nil {
			t.Fatalf("nats server %d: %v", i, err)
		}
		go ns.Start()
		c.Servers = append(c.Servers, ns)
		t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	}
	for i, ns := range c.Servers {
		if !ns.ReadyForConnections(10 * time.Second) {
			t.Fatalf("nats server %d not ready", i)
		}
	}
	Eventually(t, 20*time.Second, "the cluster's routes", func() bool {
		for _, ns := range c.Servers {
			if ns.NumRoutes() < n-1 {
				return false
			}
		}
		return true
	})
	return c
}

// URLs is the comma-separated client URLs of every server.
func (c *Cluster) URLs() string {
	var urls []string
	for _, ns := range c.Servers {
		urls = append(urls, ns.ClientURL())
	}
	return strings.Join(urls, ",")
}
