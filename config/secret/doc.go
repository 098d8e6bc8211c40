// Package secret holds Secret, the configuration value type for credentials:
// it never prints, and YAML may give it inline or as {file: path}. It sits
// below package config so that the provider packages, which declare their own
// configuration blocks, can use it without importing config.
package secret
