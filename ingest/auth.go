package ingest

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
)

// Tokens authorizes submissions per clinic: each clinic has one or more
// access tokens (an app's, a kiosk's, a shared clinic code), stored as their
// SHA-256 so that the file grants nothing if it leaks. A token lets its
// holder submit check-ins for its clinic only.
type Tokens map[string][][sha256.Size]byte

// HashToken is the SHA-256 of a token, in hex, as the tokens file holds it.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// LoadTokens reads a tokens file: one "clinic sha256-hex" pair per line;
// blank lines and lines starting with # are ignored.
func LoadTokens(path string) (Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ingest tokens: %w", err)
	}
	defer f.Close()
	t, err := ParseTokens(f)
	if err != nil {
		return nil, fmt.Errorf("ingest tokens %s: %w", path, err)
	}
	return t, nil
}

// ParseTokens reads the tokens file format of LoadTokens.
func ParseTokens(r io.Reader) (Tokens, error) {
	t := Tokens{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		var sum [sha256.Size]byte
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"clinic sha256-hex\", got %q", line, text)
		}
		if b, err := hex.DecodeString(fields[1]); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("line %d: %q is not a SHA-256 in hex (tend token prints one)", line, fields[1])
		} else {
			copy(sum[:], b)
		}
		t[fields[0]] = append(t[fields[0]], sum)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(t) == 0 {
		return nil, fmt.Errorf("no tokens: an empty file would lock every clinic out")
	}
	return t, nil
}

// allows reports whether token may submit for clinic. It compares every
// hash in constant time, so that timing tells nothing about the tokens.
func (t Tokens) allows(clinic, token string) bool {
	sum := sha256.Sum256([]byte(token))
	ok := 0
	for _, h := range t[clinic] {
		ok |= subtle.ConstantTimeCompare(sum[:], h[:])
	}
	return ok == 1
}

// known reports whether token is the token of any clinic: checked before a
// body is read, so that a stranger cannot make ingest read and parse one.
// Like allows, it compares every hash in constant time.
func (t Tokens) known(token string) bool {
	sum := sha256.Sum256([]byte(token))
	ok := 0
	for _, hashes := range t {
		for _, h := range hashes {
			ok |= subtle.ConstantTimeCompare(sum[:], h[:])
		}
	}
	return ok == 1
}

// Clinic is the clinic whose token token is. Like allows, it compares
// every hash in constant time.
func (t Tokens) Clinic(token string) (string, bool) {
	sum := sha256.Sum256([]byte(token))
	clinic := ""
	for c, hashes := range t {
		for _, h := range hashes {
			if subtle.ConstantTimeCompare(sum[:], h[:]) == 1 {
				clinic = c
			}
		}
	}
	return clinic, clinic != ""
}

// IDs are the ids (TokenID) of each clinic's tokens, in clinic order:
// what the audit trail records of the tokens a process accepts.
func (t Tokens) IDs() string {
	var b strings.Builder
	for _, clinic := range slices.Sorted(maps.Keys(t)) {
		fmt.Fprintf(&b, "%s:", clinic)
		for _, h := range t[clinic] {
			b.WriteString(" " + hex.EncodeToString(h[:])[:tokenIDLen])
		}
		b.WriteString("; ")
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// tokenIDLen is how many hex digits of a token's SHA-256 name it.
const tokenIDLen = 12

// TokenID names a token in logs and the audit trail without revealing it.
func TokenID(token string) string { return HashToken(token)[:tokenIDLen] }

// Bearer is the token of an Authorization: Bearer header, or "".
func Bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
