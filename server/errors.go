package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// apiError is an error reported to the client in OpenAI's format:
//
//	{"error": {"message": "...", "type": "invalid_request_error", "param": "top_k", "code": null}}
type apiError struct {
	status  int
	message string
	kind    string // invalid_request_error, authentication_error, server_error, ...
	param   string // the request field at fault, if any
	code    string
}

func (e *apiError) Error() string { return e.message }

// badRequest is a 400 naming the field at fault.
func badRequest(param, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, kind: "invalid_request_error", param: param, message: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON of an apiError.
type errorBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func (e *apiError) body() errorBody {
	var b errorBody
	b.Error.Message, b.Error.Type = e.message, e.kind
	if e.param != "" {
		b.Error.Param = &e.param
	}
	if e.code != "" {
		b.Error.Code = &e.code
	}
	return b
}

// writeError sends e as the response.
func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(e.body())
}

// flagName matches the `autoreg sample` flag names decode's messages quote.
var flagName = regexp.MustCompile(`--([a-z][a-z0-9-]*)`)

// renamed maps the flags whose request field has another name.
var renamed = map[string]string{"num_return": "n", "rerank": "best_of"}

// field is the request field of a flag name.
func field(flag string) string {
	f := strings.ReplaceAll(flag, "-", "_")
	if r, ok := renamed[f]; ok {
		return r
	}
	return f
}

// fieldMessage rewrites a message of package decode for the API: its flag
// names become the request's field names (the flag's, with underscores).
func fieldMessage(err error) (msg, param string) {
	msg = strings.TrimPrefix(err.Error(), "decode: ")
	if m := flagName.FindStringSubmatch(msg); m != nil {
		param = field(m[1])
	}
	msg = flagName.ReplaceAllStringFunc(msg, func(f string) string { return field(f[2:]) })
	return msg, param
}
