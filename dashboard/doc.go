// Package dashboard is the read-only web dashboard that `serve` mounts at
// /dashboard: the analytics model's figures (package analytics) with
// server-rendered SVG charts, filters by period, department, kind and source,
// and a CSV export at /dashboard.csv. No script runs in the page. Access needs
// a token or a trusted proxy header unless the server listens on loopback only
// (config validation enforces that).
package dashboard
