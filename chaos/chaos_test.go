package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/pipeline"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
	"github.com/tendhq/tend/reporting"
)

// plan is one form of the suite: how much is sent and how hard it is hit.
type plan struct {
	name     string
	checkins int
	// send is how long the check-ins are spread over: about as long as the
	// faults take, so that they all happen while check-ins flow.
	send time.Duration
	// kills is how many times a processor is killed with SIGKILL.
	kills int
	// outages are how long ClickHouse is stopped, one after the other.
	outages []time.Duration
	// stall is how long NATS is stopped with SIGSTOP.
	stall time.Duration
	// settle is the processors' --settle: longer than the longest time a
	// period's check-ins can wait to be stored (the longest outage and the
	// back-off after it), so that no period is published before all of it
	// is in.
	settle time.Duration
	// drain bounds the wait for the processors to store the backlog.
	drain time.Duration
}

var (
	// shortPlan runs inside `make test`: about 4 minutes on 2 cores.
	shortPlan = plan{name: "short", checkins: 20_000, send: 140 * time.Second, kills: 10,
		outages: []time.Duration{20 * time.Second, 45 * time.Second}, stall: 10 * time.Second,
		settle: 75 * time.Second, drain: 3 * time.Minute}
	// fullPlan is `make chaos`: issue 12's figures.
	fullPlan = plan{name: "full", checkins: 200_000, send: 8 * time.Minute, kills: 10,
		outages: []time.Duration{90 * time.Second, 5 * time.Minute}, stall: 10 * time.Second,
		settle: 6 * time.Minute, drain: 10 * time.Minute}
)

const (
	// requestDeadline is the client's timeout: every request must be
	// answered within it.
	requestDeadline = 20 * time.Second
	batchSize       = 500
	senders         = 4
	ackWait         = 15 * time.Second
	// giveUp bounds how long a check-in answered 503 is retried.
	giveUp = 10 * time.Minute
)

// TestChaos is the fault suite of issue 12. It runs when
// TEND_CHAOS_NATS_SERVER names a nats-server binary (`make test` installs
// one and runs the short form; `make chaos` the full one, with
// TEND_CHAOS_FULL=1). TEND_CHAOS_TEND names bin/tend (built when unset).
func TestChaos(t *testing.T) {
	natsBin := os.Getenv("TEND_CHAOS_NATS_SERVER")
	if natsBin == "" {
		t.Skip("the fault suite needs a nats-server binary: TEND_CHAOS_NATS_SERVER (make test and make chaos install one)")
	}
	p := shortPlan
	if os.Getenv("TEND_CHAOS_FULL") != "" {
		p = fullPlan
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TEND_CHAOS_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	rng := rand.New(rand.NewPCG(seed, 12))
	t.Logf("chaos %s: seed %d (TEND_CHAOS_SEED=%d repeats the schedule)", p.name, seed, seed)

	tendBin := os.Getenv("TEND_CHAOS_TEND")
	if tendBin == "" {
		tendBin = filepath.Join(t.TempDir(), "tend")
		build := exec.Command("go", "build", "-o", tendBin, "./cmd/tend")
		build.Dir = testenv.RepoRoot()
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build tend: %v\n%s", err, out)
		}
	}
	dir := t.TempDir()
	logs, err := os.MkdirTemp("", "tend-chaos-logs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs kept in %s", logs)
		} else {
			os.RemoveAll(logs)
		}
	})

	// ClickHouse: a server of the suite's own, since the suite stops it.
	ch := testenv.StartClickHouseServer(t)
	cfg := ch.Use(clickhouse.Config{Database: "tend_chaos", ReportingDatabase: "tend_chaos_reporting"})
	store := testenv.OpenStore(t, cfg) // migrated before the processors start
	pwFile := filepath.Join(dir, "clickhouse-password")
	if err := os.WriteFile(pwFile, []byte(ch.Password), 0o600); err != nil {
		t.Fatal(err)
	}

	// NATS: its own process, with tend's nkey users and fsync on every write.
	natsSrv, natsURL, users := startNATS(t, natsBin, dir, logs)

	// tend: ingest and two processors, as separate processes.
	env := append(cleanEnv(), "TEND_PSEUDONYM_KEY="+testenv.TestKey, "TEND_CLICKHOUSE_PASSWORD_FILE="+pwFile)
	common := []string{"--nats-url", natsURL, "--metrics-addr", "127.0.0.1:0", "--log-level", "info",
		"--clickhouse-addr", cfg.Addr, "--clickhouse-user", "default",
		"--clickhouse-database", cfg.Database, "--clickhouse-reporting-database", cfg.ReportingDatabase}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	ing := newProc("tend ingest", tendBin, filepath.Join(logs, "ingest.log"), env,
		append([]string{"ingest", "--nats-nkey-file", stream.SeedFile(users, stream.RoleIngest), "--http-addr", httpAddr}, common...)...)
	var procs []*proc
	for i := range 2 {
		procs = append(procs, newProc(fmt.Sprintf("tend process %d", i+1), tendBin, filepath.Join(logs, fmt.Sprintf("process-%d.log", i+1)), env,
			append([]string{"process", "--nats-nkey-file", stream.SeedFile(users, stream.RoleProcessor),
				"--ack-wait", ackWait.String(), "--publish-after", "0s", "--settle", p.settle.String()}, common...)...))
	}
	all := append([]*proc{ing}, procs...)
	t.Cleanup(func() {
		for _, pr := range all {
			if err := pr.stop(60 * time.Second); err != nil {
				t.Errorf("stop %s: %v", pr.name, err)
			}
		}
	})
	for _, pr := range all {
		if err := pr.start(); err != nil {
			t.Fatal(err)
		}
	}
	ingestURL := "http://" + httpAddr
	waitFor(t, 60*time.Second, "tend ingest to answer /readyz", func() bool {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(ingestURL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	admin := connectAdmin(t, natsURL, users)
	waitFor(t, 60*time.Second, "the processors' consumer", func() bool {
		_, err := admin.Consumer(t.Context(), stream.Checkins, stream.ProcessorDurable)
		return err == nil
	})
	for _, pr := range all {
		if !pr.running() {
			t.Fatalf("%s did not start:\n%s", pr.name, tail(pr.log, 3000))
		}
	}

	// The stream of check-ins: past periods, so that they close.
	cs := checkIns(p.checkins, seed)
	ld := newLoad(ingestURL, cs)
	sendDone, faultsDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(sendDone); ld.run(p.send, faultsDone) }()

	// The faults, one after the other, on this goroutine (the ClickHouse
	// server's helpers must run on it).
	f := &faults{t: t, rng: rng, procs: procs, nats: natsSrv, ch: ch, load: ld}
	start := time.Now()
	f.schedule(p)
	close(faultsDone)
	t.Logf("faults done after %s: %s", time.Since(start).Round(time.Second), strings.Join(f.done, ", "))

	select {
	case <-sendDone:
	case <-time.After(p.send + giveUp + 2*requestDeadline):
		t.Fatalf("the senders did not finish (bounded by the give-up time)")
	}
	t.Logf("sending done after %s", time.Since(start).Round(time.Second))

	// Drain: the consumer has nothing pending or unacknowledged.
	drainStart := time.Now()
	waitFor(t, p.drain, "the processors to drain the stream", func() bool {
		c, err := admin.Consumer(t.Context(), stream.Checkins, stream.ProcessorDurable)
		if err != nil {
			return false
		}
		info, err := c.Info(t.Context())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
	t.Logf("drained %s after sending ended", time.Since(drainStart).Round(time.Second))

	// What is stored.
	accepted := ld.acceptedIDs()
	stored := storedIDs(t, store, cfg.Database)
	rowsFinal := testenv.Count(t, store, "SELECT count() FROM "+cfg.Database+".checkins FINAL")
	rowsRaw := testenv.Count(t, store, "SELECT count() FROM "+cfg.Database+".checkins")
	distinct := uint64(len(stored))
	duplicates := int64(rowsFinal) - int64(distinct)
	lost := 0
	for id := range accepted {
		if !stored[id] {
			lost++
		}
	}
	unaccepted := 0 // stored, but never answered 202 (a 503 whose publish did land)
	for id := range stored {
		if !accepted[id] {
			unaccepted++
		}
	}

	// Reporting: the published tables equal a recomputation from scratch.
	rep := compareReporting(t, store, cfg, ch, p)

	st := ld.stats()
	line := fmt.Sprintf("chaos %s: sent %d check-ins; 202: %d; rows FINAL: %d; distinct ids: %d; "+
		"duplicates (rows FINAL - distinct ids): %d; lost (202 but not stored): %d; "+
		"raw rows before FINAL: %d; stored without a 202: %d; "+
		"requests: %d, unanswered within %s: %d (slowest %s); items answered 503 and resent: %d; given up: %d; other statuses: %d; "+
		"faults: %s; %s",
		p.name, len(cs), len(accepted), rowsFinal, distinct,
		duplicates, lost,
		rowsRaw, unaccepted,
		st.requests, requestDeadline, st.unanswered, st.slowest.Round(time.Millisecond), st.retried, st.gaveUp, st.other,
		strings.Join(f.done, ", "), rep)
	t.Log(line)
	fmt.Println(line)

	if lost != 0 || duplicates != 0 {
		t.Errorf("lost %d, duplicates %d: want 0 and 0", lost, duplicates)
	}
	if st.unanswered != 0 {
		t.Errorf("%d requests not answered within %s: %s", st.unanswered, requestDeadline, strings.Join(st.errors, "; "))
	}
	if len(accepted) != len(cs) || st.gaveUp != 0 || st.other != 0 {
		t.Errorf("%d of %d check-ins got a 202 (%d given up, %d other statuses): every one should, once its 503s are retried", len(accepted), len(cs), st.gaveUp, st.other)
	}
	for _, pr := range append(all, natsSrv) {
		for _, fail := range pr.failures() {
			t.Errorf("%s", fail)
		}
	}
}

// startNATS runs nats-server as a process of its own: JetStream in dir,
// sync_interval always, tend's nkey users (stream.UsersConfig) with their
// public keys in the environment, 127.0.0.1 on a free port.
func startNATS(t *testing.T, bin, dir, logs string) (*proc, string, string) {
	t.Helper()
	usersDir := filepath.Join(dir, "nats-users")
	users, err := stream.LoadOrCreateUsers(usersDir)
	if err != nil {
		t.Fatal(err)
	}
	usersConf, err := stream.UsersConfig()
	if err != nil {
		t.Fatal(err)
	}
	env := cleanEnv()
	for role, kp := range users {
		pub, err := kp.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, "TEND_NATS_"+strings.ToUpper(string(role))+"_NKEY="+pub)
	}
	port := testenv.FreePort(t)
	confDir := filepath.Join(dir, "nats")
	if err := os.MkdirAll(confDir, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("server_name: tend-chaos\nlisten: 127.0.0.1:%d\njetstream {\n  store_dir: %q\n  sync_interval: always\n}\ninclude ./users.conf\n",
		port, filepath.Join(dir, "jetstream"))
	if err := os.WriteFile(filepath.Join(confDir, "users.conf"), []byte(usersConf), 0o600); err != nil {
		t.Fatal(err)
	}
	confFile := filepath.Join(confDir, "server.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := newProc("nats-server", bin, filepath.Join(logs, "nats-server.log"), env, "-c", confFile)
	t.Cleanup(func() {
		if err := srv.stop(30 * time.Second); err != nil {
			t.Errorf("stop nats-server: %v", err)
		}
	})
	if err := srv.start(); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	waitNATS(t, srv, url, usersDir)
	return srv, url, usersDir
}

// waitNATS waits (bounded) until JetStream answers the admin user.
func waitNATS(t *testing.T, srv *proc, url, usersDir string) {
	t.Helper()
	o, err := nats.NkeyOptionFromSeed(stream.SeedFile(usersDir, stream.RoleAdmin))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "nats-server to serve JetStream", func() bool {
		if !srv.running() {
			t.Fatalf("nats-server exited:\n%s", tail(srv.log, 3000))
		}
		nc, err := nats.Connect(url, o, nats.Timeout(time.Second))
		if err != nil {
			return false
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err = js.AccountInfo(ctx)
		return err == nil
	})
}

func connectAdmin(t *testing.T, url, usersDir string) jetstream.JetStream {
	t.Helper()
	return testenv.ConnectAs(t, url, stream.SeedFile(usersDir, stream.RoleAdmin))
}

// checkIns are n check-ins with distinct ids over ten weeks of closed
// periods (the last ending more than a month ago), shuffled so that every
// period receives check-ins until the end of the stream.
func checkIns(n int, seed uint64) []checkin.CheckIn {
	const weeks = 10
	base := time.Now().AddDate(0, 0, -40)
	var out []checkin.CheckIn
	for w := range weeks {
		k := n / weeks
		if w == weeks-1 {
			k = n - len(out)
		}
		out = append(out, testenv.CheckIns(k, seed+uint64(w), base.AddDate(0, 0, -7*w))...)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// faults runs the schedule of faults.
type faults struct {
	t     *testing.T
	rng   *rand.Rand
	procs []*proc
	nats  *proc
	ch    *testenv.ClickHouseServer
	load  *load
	done  []string
	kills int
}

// schedule: processor kills spread between the other faults, each at a
// random moment; the ClickHouse outages (nothing of tend restarted), a
// NATS stall with SIGSTOP while batches are in flight, a NATS restart.
func (f *faults) schedule(p plan) {
	perGap := func(gaps, i int) int { return p.kills/gaps + btoi(i < p.kills%gaps) }
	gaps := 5
	f.pause(3 * time.Second)
	f.killSome(perGap(gaps, 0))
	f.clickhouseOutage(p.outages[0])
	f.killSome(perGap(gaps, 1))
	f.stallNATS(p.stall)
	f.killSome(perGap(gaps, 2))
	for _, d := range p.outages[1:] {
		f.clickhouseOutage(d)
	}
	f.killSome(perGap(gaps, 3))
	f.restartNATS()
	f.killSome(perGap(gaps, 4))
	f.done = append(f.done, fmt.Sprintf("%d processor kills (kill -9, restarted)", f.kills))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (f *faults) pause(d time.Duration) { time.Sleep(d) }

// killSome kills a random processor with SIGKILL n times, at random
// moments 1–6 s apart, and restarts it each time.
func (f *faults) killSome(n int) {
	for range n {
		f.pause(time.Second + time.Duration(f.rng.Int64N(int64(5*time.Second))))
		pr := f.procs[f.rng.IntN(len(f.procs))]
		if err := pr.kill9(); err != nil {
			f.t.Fatalf("kill -9 %s: %v", pr.name, err)
		}
		if err := pr.start(); err != nil {
			f.t.Fatal(err)
		}
		f.kills++
	}
	f.pause(2 * time.Second)
}

// clickhouseOutage stops ClickHouse for d, then starts it again; tend's
// processes keep running throughout.
func (f *faults) clickhouseOutage(d time.Duration) {
	f.t.Logf("ClickHouse down for %s", d)
	f.ch.Stop(f.t)
	f.pause(d)
	f.ch.Start(f.t)
	f.done = append(f.done, fmt.Sprintf("ClickHouse down %s", d))
	f.pause(3 * time.Second)
}

// stallNATS stops nats-server with SIGSTOP for d while batch requests are
// in flight, then continues it.
func (f *faults) stallNATS(d time.Duration) {
	deadline := time.Now().Add(30 * time.Second)
	for f.load.inFlight.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	inflight := f.load.inFlight.Load()
	if err := f.nats.signal(syscall.SIGSTOP); err != nil {
		f.t.Fatal(err)
	}
	f.t.Logf("NATS stalled (SIGSTOP) for %s with %d batch requests in flight", d, inflight)
	f.pause(d)
	if err := f.nats.signal(syscall.SIGCONT); err != nil {
		f.t.Fatal(err)
	}
	f.done = append(f.done, fmt.Sprintf("NATS stalled %s (SIGSTOP, %d requests in flight)", d, inflight))
	f.pause(3 * time.Second)
}

// restartNATS stops nats-server with SIGTERM and starts it again on the
// same store directory and port.
func (f *faults) restartNATS() {
	if err := f.nats.signal(syscall.SIGTERM); err != nil {
		f.t.Fatal(err)
	}
	if err := f.nats.wait(60 * time.Second); err != nil {
		f.t.Fatal(err)
	}
	f.t.Logf("NATS stopped (SIGTERM); starting it again")
	if err := f.nats.start(); err != nil {
		f.t.Fatal(err)
	}
	f.done = append(f.done, "NATS restarted (SIGTERM, same store)")
	f.pause(3 * time.Second)
}

// load sends check-ins over HTTP with the batch endpoint from a few
// concurrent clients; items answered 503 are sent again with the same id.
type load struct {
	c        client.Client
	cs       []checkin.CheckIn
	inFlight atomic.Int64

	mu         sync.Mutex
	accepted   map[string]bool
	requests   int
	unanswered int
	errors     []string
	slowest    time.Duration
	retried    int
	gaveUp     int
	other      int
}

type loadStats struct {
	requests, unanswered, retried, gaveUp, other int
	slowest                                      time.Duration
	errors                                       []string
}

func newLoad(url string, cs []checkin.CheckIn) *load {
	hc := &http.Client{Timeout: requestDeadline, Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	return &load{c: client.Client{URL: url, HTTP: hc}, cs: cs, accepted: map[string]bool{}}
}

// run sends every check-in, spread evenly over d, and returns once each got
// a 202 or was given up. The last tenth waits for faultsDone (bounded), so
// that check-ins flow until after the last fault.
func (l *load) run(d time.Duration, faultsDone <-chan struct{}) {
	chunks := slices.Collect(slices.Chunk(l.cs, batchSize))
	work := make(chan []checkin.CheckIn)
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := range work {
				l.send(chunk)
			}
		}()
	}
	every := d / time.Duration(len(chunks))
	tick := time.NewTicker(every)
	for i, chunk := range chunks {
		if i == len(chunks)*9/10 {
			select {
			case <-faultsDone:
			case <-time.After(giveUp):
			}
		}
		work <- chunk
		<-tick.C
	}
	tick.Stop()
	close(work)
	wg.Wait()
}

// send posts chunk until every item was answered 202, retrying those
// answered 503 after Retry-After, for at most giveUp.
func (l *load) send(chunk []checkin.CheckIn) {
	deadline := time.Now().Add(giveUp)
	for len(chunk) > 0 {
		if time.Now().After(deadline) {
			l.mu.Lock()
			l.gaveUp += len(chunk)
			l.mu.Unlock()
			return
		}
		chunk = l.post(chunk)
		if len(chunk) > 0 {
			time.Sleep(time.Duration(ingest.RetryAfterSeconds) * time.Second)
		}
	}
}

// post sends one batch request and returns the items to send again.
func (l *load) post(chunk []checkin.CheckIn) []checkin.CheckIn {
	body, err := json.Marshal(chunk)
	if err != nil {
		panic(err)
	}
	l.inFlight.Add(1)
	start := time.Now()
	status, resp, err := l.c.Post(context.Background(), "/v1/checkins/batch", body)
	took := time.Since(start)
	l.inFlight.Add(-1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests++
	l.slowest = max(l.slowest, took)
	if err != nil {
		// No answer within the deadline (or no answer at all): recorded,
		// and the items are sent again.
		l.unanswered++
		if len(l.errors) < 10 {
			l.errors = append(l.errors, fmt.Sprintf("after %s: %v", took.Round(time.Millisecond), err))
		}
		l.retried += len(chunk)
		return chunk
	}
	var r ingest.BatchResponse
	if status == http.StatusServiceUnavailable {
		l.retried += len(chunk)
		return chunk
	}
	if status != http.StatusOK || json.Unmarshal(resp, &r) != nil || len(r.Results) != len(chunk) {
		l.other += len(chunk)
		if len(l.errors) < 10 {
			l.errors = append(l.errors, fmt.Sprintf("HTTP %d: %.200s", status, resp))
		}
		return nil
	}
	var again []checkin.CheckIn
	for i, item := range r.Results {
		switch item.Status {
		case http.StatusAccepted:
			l.accepted[chunk[i].ID] = true
		case http.StatusServiceUnavailable:
			again = append(again, chunk[i])
		default:
			l.other++
			if len(l.errors) < 10 {
				l.errors = append(l.errors, fmt.Sprintf("item %s: %d %s %v", chunk[i].ID, item.Status, item.Error, item.Fields))
			}
		}
	}
	l.retried += len(again)
	return again
}

func (l *load) acceptedIDs() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.accepted)
}

func (l *load) stats() loadStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return loadStats{requests: l.requests, unanswered: l.unanswered, retried: l.retried, gaveUp: l.gaveUp, other: l.other,
		slowest: l.slowest, errors: append([]string(nil), l.errors...)}
}

// storedIDs are the distinct ids in the checkins table.
func storedIDs(t *testing.T, store *clickhouse.Store, db string) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rows, err := store.Conn().Query(ctx, "SELECT DISTINCT id FROM "+db+".checkins")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// compareReporting recomputes the reporting tables from scratch — the
// stored check-ins copied into fresh databases, one reporter pass on a
// fresh claims bucket with a clock past the settle window — and waits
// (bounded) until the suite's processors have published the same.
func compareReporting(t *testing.T, store *clickhouse.Store, cfg clickhouse.Config, ch *testenv.ClickHouseServer, p plan) string {
	t.Helper()
	fresh := ch.Use(clickhouse.Config{Database: "tend_fresh", ReportingDatabase: "tend_fresh_reporting"})
	fstore := testenv.OpenStore(t, fresh)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := fstore.Conn().Exec(ctx, "INSERT INTO "+fresh.Database+".checkins SELECT * FROM "+cfg.Database+".checkins FINAL"); err != nil {
		t.Fatal(err)
	}
	rcfg, err := pipeline.ReportingConfig(pipeline.Config{MinGroupSize: 5, PublishAfter: 0, Settle: p.settle})
	if err != nil {
		t.Fatal(err)
	}
	n := testenv.StartNATS(t) // the fresh claims bucket
	claims, err := stream.EnsureClaims(ctx, n.JS, stream.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r := reporting.New(fstore, claims, n.JS, rcfg, reporting.WithClock(func() time.Time { return time.Now().Add(p.settle + time.Hour) }),
		reporting.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	for range 5 {
		sum, err := r.Pass(ctx)
		if err != nil {
			t.Fatalf("fresh reporter: %v", err)
		}
		if sum.Published == 0 && sum.Pending == 0 {
			break
		}
	}
	want := reportingRows(t, fstore, fresh.ReportingDatabase)
	if len(want) == 0 {
		t.Fatal("the recomputation published nothing")
	}
	// The suite's reporters publish once --settle has passed since the last
	// check-in was stored, at their next pass (every 30 s).
	var got []string
	bound := p.settle + reporting.DefaultEvery + 2*time.Minute
	deadline := time.Now().Add(bound)
	for {
		got = reportingRows(t, store, cfg.ReportingDatabase)
		if len(got) >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	late := testenv.Count(t, store, "SELECT count() FROM (SELECT * FROM "+cfg.ReportingDatabase+".late_checkins FINAL WHERE late > 0)")
	if !slices.Equal(got, want) {
		var diff []string
		for _, w := range want {
			if !slices.Contains(got, w) {
				diff = append(diff, "missing: "+w)
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				diff = append(diff, "extra: "+g)
			}
		}
		if len(diff) > 20 {
			diff = diff[:20]
		}
		t.Errorf("reporting tables differ from a recomputation from scratch (%d rows vs %d; periods with late check-ins: %d):\n%s",
			len(got), len(want), late, strings.Join(diff, "\n"))
		return fmt.Sprintf("reporting: %d rows, recomputation %d: DIFFER", len(got), len(want))
	}
	return fmt.Sprintf("reporting: %d team_periods+alerts rows equal a from-scratch recomputation (periods with late check-ins: %d)", len(got), late)
}

// reportingRows are the published team figures and alert transitions,
// without their publication times, as sorted text.
func reportingRows(t *testing.T, store *clickhouse.Store, db string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []string
	for _, q := range []string{
		"SELECT concat('team_periods ', toString(tuple(clinic, team, instrument, score, toString(period), period_start, suppressed, respondents, " +
			"round(mean, 9), round(stddev, 9), round(share_high, 9), round(participation, 9)))) FROM " + db + ".team_periods",
		"SELECT concat('alerts ', toString(tuple(id, clinic, team, instrument, rule, toString(period), period_start, toString(state)))) FROM " + db + ".alerts",
	} {
		rows, err := store.Conn().Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		rows.Close()
	}
	slices.Sort(out)
	return out
}

// waitFor polls cond every 200 ms until it holds, for at most d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
