package config

import "github.com/orderbot/orderbot/config/secret"

// Secret is a credential that never prints; see package secret. The alias keeps
// config.Secret for the code that builds a Config.
type Secret = secret.Secret

// redacted is what a non-empty Secret prints as.
const redacted = secret.Redacted

// NewSecret wraps a value as a Secret; an empty value gives the empty Secret.
func NewSecret(v string) Secret { return secret.New(v) }
