package stream_test

import (
	"testing"
	"time"

	"github.com/tendhq/tend/internal/stream"
)

// TestServerSyncAlwaysByDefault: the embedded server fsyncs every write
// before it acks it unless told otherwise, so that a 202 on one node
// survives a power loss.
func TestServerSyncAlwaysByDefault(t *testing.T) {
	ns, err := stream.RunServer(stream.ServerConfig{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if cfg := ns.JetStreamConfig(); cfg == nil || !cfg.SyncAlways {
		t.Fatalf("JetStream config %+v: want SyncAlways by default", cfg)
	}
}

func TestServerSyncInterval(t *testing.T) {
	sync, err := stream.ParseSync("1s")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := stream.RunServer(stream.ServerConfig{Dir: t.TempDir(), Listen: "127.0.0.1:0", Sync: sync})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if cfg := ns.JetStreamConfig(); cfg.SyncAlways || cfg.SyncInterval != time.Second {
		t.Fatalf("JetStream config sync_always=%v sync_interval=%v, want false and 1s", cfg.SyncAlways, cfg.SyncInterval)
	}
}

func TestParseSync(t *testing.T) {
	for _, v := range []string{"always", "ALWAYS", "2m", "100ms"} {
		if _, err := stream.ParseSync(v); err != nil {
			t.Errorf("ParseSync(%q): %v", v, err)
		}
	}
	for _, v := range []string{"", "never", "0s", "-1s"} {
		if _, err := stream.ParseSync(v); err == nil {
			t.Errorf("ParseSync(%q) accepted", v)
		}
	}
}
