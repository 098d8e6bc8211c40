package secret

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Redacted is what a non-empty Secret prints as, everywhere.
const Redacted = "<redacted>"

// maxSecretFileBytes bounds a secret file: a token or key is a few hundred bytes,
// so anything larger is the wrong file and must not be read into memory.
const maxSecretFileBytes = 64 << 10

// Secret is a credential: an API key, token, password or a URL that may carry
// one. It never prints: String, GoString, Format (every verb), MarshalText,
// MarshalYAML, MarshalJSON and LogValue all give "<redacted>" for a set secret and
// "" for an empty one, so a Secret can sit in a struct that is logged, dumped
// with %+v or marshalled without leaking. Value returns the secret itself.
//
// In YAML a secret is either a string (usually "${ENV_VAR}") or a mapping
// {file: /run/secrets/name} whose file holds the secret; one trailing newline is
// removed from the file's content, as editors and `echo` add one.
//
// The value sits behind a pointer so that even reflection-based printers that
// bypass the methods (fmt on an unexported field) show an address, not the text.
type Secret struct {
	p *secretValue
}

type secretValue struct {
	v string
}

// New wraps a value as a Secret; an empty value gives the empty Secret.
func New(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{p: &secretValue{v: v}}
}

// Value returns the secret in clear. Call it only where the secret is used
// (an HTTP header, a client option), never to log or print.
func (s Secret) Value() string {
	if s.p == nil {
		return ""
	}
	return s.p.v
}

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s.Value() != "" }

func (s Secret) shown() string {
	if s.IsSet() {
		return Redacted
	}
	return ""
}

// String returns "<redacted>", or "" when the secret is empty.
func (s Secret) String() string { return s.shown() }

// GoString returns "<redacted>", or "" when the secret is empty, so %#v of a
// struct holding a Secret does not leak it either.
func (s Secret) GoString() string { return s.shown() }

// Format prints the redacted form for every verb (%s, %v, %+v, %#v, %q, %x, ...).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.shown())
		return
	}
	_, _ = f.Write([]byte(s.shown()))
}

// LogValue makes log/slog print the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }

// MarshalText returns the redacted form, for encoders that use
// encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }

// MarshalJSON returns the redacted form as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.shown()) }

// MarshalYAML returns the redacted form, so a marshalled Config is safe to print.
func (s Secret) MarshalYAML() (any, error) { return s.shown(), nil }

// IsZero reports whether the secret is empty; yaml's omitempty uses it.
func (s Secret) IsZero() bool { return !s.IsSet() }

// UnmarshalYAML reads a secret from a string or from {file: path}.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			*s = Secret{}
			return nil
		}
		*s = New(n.Value)
		return nil
	case yaml.MappingNode:
		path, err := secretFilePath(n)
		if err != nil {
			return err
		}
		v, err := readSecretFile(path)
		if err != nil {
			return err
		}
		*s = New(v)
		return nil
	}
	return fmt.Errorf("must be a string or a mapping {file: path}")
}

// secretFilePath returns the path of a {file: path} mapping.
func secretFilePath(n *yaml.Node) (string, error) {
	if len(n.Content) != 2 || n.Content[0].Value != "file" || n.Content[1].Kind != yaml.ScalarNode {
		return "", fmt.Errorf("must be a string or a mapping with the single key file (e.g. {file: /run/secrets/token})")
	}
	p := strings.TrimSpace(n.Content[1].Value)
	if p == "" {
		return "", fmt.Errorf("file: the path is empty")
	}
	return p, nil
}

// readSecretFile reads a secret file. Errors name the path (not secret) and never
// the content.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read secret file: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("cannot read secret file %s: %v", path, err)
	}
	if len(data) > maxSecretFileBytes {
		return "", fmt.Errorf("secret file %s is larger than %d bytes", path, maxSecretFileBytes)
	}
	v := string(data)
	v = strings.TrimSuffix(v, "\n")
	v = strings.TrimSuffix(v, "\r")
	if v == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return v, nil
}
