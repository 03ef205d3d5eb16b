package stream_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
)

// TestDeployUsersConfig: deploy/nats/users.conf is what UsersConfig renders,
// and nats-server, reading it with each role's public nkey in the
// environment, gives every user exactly the permissions of its role.
func TestDeployUsersConfig(t *testing.T) {
	want, err := stream.UsersConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testenv.RepoRoot(), "deploy", "nats", "users.conf")
	if os.Getenv("TEND_UPDATE_DEPLOY") != "" {
		os.WriteFile(path, []byte(want), 0o644)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("%s differs from stream.UsersConfig (TEND_UPDATE_DEPLOY=1 go test ./internal/stream rewrites it): %v", path, err)
	}
	keys := map[string]stream.Role{}
	for _, role := range stream.Roles {
		kp, _ := nkeys.CreateUser()
		pub, _ := kp.PublicKey()
		t.Setenv("TEND_NATS_"+strings.ToUpper(string(role))+"_NKEY", pub)
		keys[pub] = role
	}
	dir := t.TempDir() // include paths are relative to the including file
	os.WriteFile(filepath.Join(dir, "users.conf"), got, 0o600)
	conf := filepath.Join(dir, "server.conf")
	os.WriteFile(conf, []byte("include ./users.conf\n"), 0o600)
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("nats-server refuses the users: %v", err)
	}
	if len(opts.Nkeys) != len(stream.Roles) {
		t.Fatalf("%d users, want %d", len(opts.Nkeys), len(stream.Roles))
	}
	for _, u := range opts.Nkeys {
		want, _ := stream.Permissions(keys[u.Nkey])
		if !slices.Equal(u.Permissions.Publish.Allow, want.Publish.Allow) || !slices.Equal(u.Permissions.Subscribe.Allow, want.Subscribe.Allow) {
			t.Errorf("%s: permissions %+v, want %+v", keys[u.Nkey], u.Permissions, want)
		}
	}
}
