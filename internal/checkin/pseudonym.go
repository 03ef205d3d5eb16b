package checkin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Pseudonymizer replaces a clinician identifier with a keyed pseudonym:
// HMAC-SHA256(key, clinic ":" clinician) in lower-case hex. The same clinician
// at the same clinic always gets the same pseudonym, so team metrics can count
// distinct respondents, while nobody without the key can reverse or even test
// a guess. The ':' separates the parts unambiguously (clinic tokens have none).
type Pseudonymizer struct {
	key []byte
}

// MinKeyBytes is the shortest key accepted: HMAC-SHA256's block security.
const MinKeyBytes = 32

// NewPseudonymizer returns a Pseudonymizer with key, which must hold at least
// MinKeyBytes bytes.
func NewPseudonymizer(key []byte) (*Pseudonymizer, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("pseudonym key: need at least %d bytes, got %d", MinKeyBytes, len(key))
	}
	return &Pseudonymizer{key: append([]byte(nil), key...)}, nil
}

// Pseudonym returns the pseudonym of clinician at clinic.
func (p *Pseudonymizer) Pseudonym(clinic, clinician string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(clinic))
	m.Write([]byte{':'})
	m.Write([]byte(clinician))
	return hex.EncodeToString(m.Sum(nil))
}

// Pseudonymize turns a validated check-in into the event that may leave ingest.
func (p *Pseudonymizer) Pseudonymize(c CheckIn) CheckIn {
	c.Clinician = p.Pseudonym(c.Clinic, c.Clinician)
	return c
}

// LoadKey reads a pseudonym key from a file; surrounding whitespace is
// ignored. Keys are secrets: keep the file mode 0600.
func LoadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pseudonym key: %w", err)
	}
	key := []byte(strings.TrimSpace(string(b)))
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("pseudonym key %s: need at least %d bytes, got %d", path, MinKeyBytes, len(key))
	}
	return key, nil
}

// LoadOrCreateKey reads the key at path, creating a random one (mode 0600)
// when the file does not exist. It is for demo and single-machine use; a real
// deployment provisions the key as a secret and keeps it stable: a new key
// makes every clinician a new respondent.
func LoadOrCreateKey(path string) (key []byte, created bool, err error) {
	key, err = LoadKey(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return key, false, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, false, fmt.Errorf("generate pseudonym key: %w", err)
	}
	key = []byte(hex.EncodeToString(raw))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create pseudonym key: %w", err)
	}
	if err := os.WriteFile(path, append(key, '\n'), 0o600); err != nil {
		return nil, false, fmt.Errorf("create pseudonym key: %w", err)
	}
	return key, true, nil
}
