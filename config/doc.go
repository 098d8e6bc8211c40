// Package config loads orderbot's one YAML configuration file: strict decoding
// (an unknown or misspelled key is an error naming its full path), ${VAR} and
// ${VAR:-default} expansion from the environment inside scalar values, a few
// environment overrides (REDIS_URL, SLACK_API_URL, SLACK_APP_TOKEN,
// ORDERBOT_ADDR), defaults for every key, and validation that reports every
// problem at once, each with the key path it is about.
//
// Secrets (tokens, keys, passwords, the Redis URL) are held in the Secret type,
// which redacts itself in every printed, logged or marshalled form; Value is the
// only way to read one. Config.Redacted renders the effective configuration for
// `orderbot config check` without a single secret in it.
//
// docs/configuration.md documents every key; orderbot.example.yaml is a complete,
// commented example. Both must change together with the structs in this package.
package config
