package stream

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// Role is a NATS user of tend. Each gets the narrowest permissions its stage
// needs: nothing connects anonymously, ingest can only publish check-ins,
// the processor consumes them and publishes dead letters and alerts, an
// alert reader reads alerts, and only an administrator deletes anything.
//
// Users are nkeys (ed25519 key pairs; the server holds only public keys and
// the client proves its seed by signing a nonce, so no password crosses the
// wire or sits in the server's configuration). That is what NATS recommends
// for a deployment with a fixed set of services; decentralised JWT accounts
// add an operator and a resolver, worth it only for many tenants.
type Role string

// The roles.
const (
	RoleIngest    Role = "ingest"
	RoleProcessor Role = "processor"
	RoleUp        Role = "up" // `tend up`: ingest and processor in one process
	RoleAlerts    Role = "alerts"
	RoleAdmin     Role = "admin"
)

// Roles are every role, in a stable order.
var Roles = []Role{RoleIngest, RoleProcessor, RoleUp, RoleAlerts, RoleAdmin}

// Subjects each role may publish and subscribe to.
var (
	// jsClient is what any JetStream client needs: replies to its requests,
	// account and stream information, and creating or updating (never
	// deleting or purging) tend's own streams at start.
	jsClient     = append([]string{"$JS.API.INFO", "$JS.API.STREAM.INFO.>"}, manage(Checkins, DeadLetter, Alerts)...)
	ingestPub    = []string{CheckinSubjects, ErasureSubject}
	processorPub = append(append(manage("KV_"+Claims), erase(Checkins, DeadLetter)...),
		DeadLetterSubjects, AlertSubjects,
		// its durable consumer of check-ins, and acks
		"$JS.API.CONSUMER.DURABLE.CREATE."+Checkins+"."+ProcessorDurable,
		"$JS.ACK."+Checkins+".>",
		// the claims bucket: its stream, keys, reads and listings
		"$KV."+Claims+".>",
		"$JS.API.DIRECT.GET.KV_"+Claims+".>", "$JS.API.STREAM.MSG.GET.KV_"+Claims,
		"$JS.API.CONSUMER.CREATE.KV_"+Claims+".>", "$JS.API.CONSUMER.DELETE.KV_"+Claims+".>", "$JS.FC.KV_"+Claims+".>",
	)
	alertsPub = []string{"$JS.API.CONSUMER.CREATE." + Alerts + ".>", "$JS.API.CONSUMER.DURABLE.CREATE." + Alerts + ".>",
		"$JS.API.CONSUMER.INFO." + Alerts + ".>", "$JS.API.CONSUMER.MSG.NEXT." + Alerts + ".>", "$JS.API.CONSUMER.DELETE." + Alerts + ".>",
		"$JS.ACK." + Alerts + ".>", "$JS.FC." + Alerts + ".>"}
)

// ErasureSubject is where ingest asks the processor to erase a clinician
// who erased their own data through their personal link.
const ErasureSubject = "tend.erasure"

// erase is reading streams through ephemeral consumers and deleting single
// messages: the right to erasure. Never purging or deleting a stream.
func erase(streams ...string) []string {
	var out []string
	for _, s := range streams {
		out = append(out, "$JS.API.CONSUMER.CREATE."+s+".>", "$JS.API.CONSUMER.INFO."+s+".>", "$JS.API.CONSUMER.MSG.NEXT."+s+".>",
			"$JS.API.CONSUMER.DELETE."+s+".>", "$JS.API.STREAM.MSG.DELETE."+s, "$JS.FC."+s+".>")
	}
	return out
}

// manage is creating and updating (never deleting or purging) streams.
func manage(streams ...string) []string {
	var out []string
	for _, s := range streams {
		out = append(out, "$JS.API.STREAM.CREATE."+s, "$JS.API.STREAM.UPDATE."+s)
	}
	return out
}

// Permissions returns the server permissions of role.
func Permissions(role Role) (*server.Permissions, error) {
	perms := func(pub []string, sub ...string) *server.Permissions {
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: append(append([]string{}, jsClient...), pub...)},
			Subscribe: &server.SubjectPermission{Allow: append([]string{"_INBOX.>"}, sub...)},
		}
	}
	switch role {
	case RoleIngest:
		return perms(ingestPub), nil
	case RoleProcessor:
		return responder(perms(processorPub, ErasureSubject)), nil
	case RoleUp:
		return responder(perms(append(append([]string{}, ingestPub...), processorPub...), ErasureSubject)), nil
	case RoleAlerts:
		return perms(alertsPub, AlertSubjects), nil
	case RoleAdmin:
		return &server.Permissions{Publish: &server.SubjectPermission{Allow: []string{">"}}, Subscribe: &server.SubjectPermission{Allow: []string{">"}}}, nil
	}
	return nil, fmt.Errorf("nats role %q: want one of %v", role, Roles)
}

// responder lets p answer the requests it receives (the erasure service):
// one reply each, to the reply subject the request named, as nats-server's
// allow_responses grants.
func responder(p *server.Permissions) *server.Permissions {
	p.Response = &server.ResponsePermission{MaxMsgs: server.DEFAULT_ALLOW_RESPONSE_MAX_MSGS, Expires: server.DEFAULT_ALLOW_RESPONSE_EXPIRATION}
	return p
}

// Users are the nkey users of a deployment, by role.
type Users map[Role]nkeys.KeyPair

// LoadOrCreateUsers reads the seed of every role from dir/<role>.nk,
// creating the ones missing (mode 600): `tend up` keeps its users next to
// its JetStream data, and an operator points the nats CLI at them.
func LoadOrCreateUsers(dir string) (Users, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("nats users: %w", err)
	}
	users := Users{}
	for _, role := range Roles {
		path := SeedFile(dir, role)
		seed, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			kp, err := nkeys.CreateUser()
			if err != nil {
				return nil, fmt.Errorf("nats users: %w", err)
			}
			if seed, err = kp.Seed(); err != nil {
				return nil, fmt.Errorf("nats users: %w", err)
			}
			if err := os.WriteFile(path, append(seed, '\n'), 0o600); err != nil {
				return nil, fmt.Errorf("nats users: %w", err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("nats users: %w", err)
		}
		kp, err := nkeys.ParseDecoratedNKey(seed)
		if err != nil {
			return nil, fmt.Errorf("nats user %s: %w", path, err)
		}
		users[role] = kp
	}
	return users, nil
}

// SeedFile is where LoadOrCreateUsers keeps role's seed.
func SeedFile(dir string, role Role) string { return filepath.Join(dir, string(role)+".nk") }

// serverUsers are the server's view of users: public keys and permissions.
func (u Users) serverUsers() ([]*server.NkeyUser, error) {
	var out []*server.NkeyUser
	for _, role := range Roles {
		kp, ok := u[role]
		if !ok {
			continue
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return nil, err
		}
		perms, err := Permissions(role)
		if err != nil {
			return nil, err
		}
		out = append(out, &server.NkeyUser{Nkey: pub, Permissions: perms})
	}
	return out, nil
}

// UsersConfig renders the users of a NATS server configuration file — the
// same roles and permissions `tend up` gives its embedded server — with each
// role's public nkey read from the environment variable TEND_NATS_<ROLE>_NKEY
// (NATS resolves $VARIABLES in its configuration). deploy/nats/users.conf is
// this text; a test keeps them equal.
func UsersConfig() (string, error) {
	var b strings.Builder
	b.WriteString("# Generated from tend's internal/stream.Permissions (TestDeployUsersConfig keeps it so).\n")
	b.WriteString("# Each role's public nkey comes from the environment: TEND_NATS_<ROLE>_NKEY.\n")
	b.WriteString("authorization {\n  users = [\n")
	for _, role := range Roles {
		p, err := Permissions(role)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "    # %s\n    {\n      nkey: $TEND_NATS_%s_NKEY\n      permissions: {\n", role, strings.ToUpper(string(role)))
		fmt.Fprintf(&b, "        publish: { allow: %s }\n", quoteList(p.Publish.Allow))
		fmt.Fprintf(&b, "        subscribe: { allow: %s }\n", quoteList(p.Subscribe.Allow))
		if p.Response != nil {
			b.WriteString("        allow_responses: true\n")
		}
		b.WriteString("      }\n    }\n")
	}
	b.WriteString("  ]\n}\n")
	return b.String(), nil
}

func quoteList(subjects []string) string {
	q := make([]string, len(subjects))
	for i, s := range subjects {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
