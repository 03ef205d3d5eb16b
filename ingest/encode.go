package ingest

import (
	"net/http"

	// A drop-in for encoding/json, several times faster (see
	// internal/checkin): a batch answer encodes every item's receipt.
	json "github.com/segmentio/encoding/json"
)

// errorBody is every error response: a sentence, and the fields at fault.
type errorBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

// Encode answers v as JSON with status: ingest's responses, and those of
// the handlers mounted beside it.
func Encode(w http.ResponseWriter, status int, v any) { encode(w, status, v) }

// EncodeError answers an error as every tend HTTP error is: a sentence, and
// the fields at fault.
func EncodeError(w http.ResponseWriter, status int, msg string, fields map[string]string) {
	encodeError(w, status, msg, fields)
}

func encode(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client is gone if this fails; nothing left to tell it
}

func encodeError(w http.ResponseWriter, status int, msg string, fields map[string]string) {
	encode(w, status, errorBody{Error: msg, Fields: fields})
}
