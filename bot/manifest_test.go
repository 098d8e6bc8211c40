package bot

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The app manifests request exactly the scopes the bot needs, point the
// request URLs at the Handler's paths (HTTP) or enable Socket Mode, and name
// the default slash command.
func TestManifestsMatchTheBot(t *testing.T) {
	type manifest struct {
		Features struct {
			SlashCommands []struct {
				Command string `yaml:"command"`
				URL     string `yaml:"url"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				RequestURL string `yaml:"request_url"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled    bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	var want []string
	for _, s := range RequiredScopes {
		want = append(want, s.Name)
	}
	slices.Sort(want)
	for _, file := range []string{"manifest.yaml", "manifest.socket-mode.yaml"} {
		raw, err := os.ReadFile("../deploy/slack/" + file)
		if err != nil {
			t.Fatal(err)
		}
		var m manifest
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		got := slices.Clone(m.OAuth.Scopes.Bot)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s scopes %v, want %v", file, got, want)
		}
		if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/ob" || !m.Settings.Interactivity.Enabled {
			t.Errorf("%s: slash command or interactivity missing", file)
		}
		socket := strings.Contains(file, "socket")
		if m.Settings.SocketMode != socket {
			t.Errorf("%s: socket_mode_enabled %t", file, m.Settings.SocketMode)
		}
		urls := map[string]string{PathCommands: m.Features.SlashCommands[0].URL, PathInteractions: m.Settings.Interactivity.RequestURL, PathEvents: m.Settings.Events.RequestURL}
		for path, u := range urls {
			if socket && u != "" {
				t.Errorf("%s: Socket Mode takes no request URL, got %s", file, u)
			}
			if !socket && !strings.HasSuffix(u, path) {
				t.Errorf("%s: request URL %q does not end in %s", file, u, path)
			}
		}
	}
}
