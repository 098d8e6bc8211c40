package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/integrations/conformance"
	"github.com/orderbot/orderbot/integrations/httpclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const token = "tok_conformance_Secret/1"

// flaw makes the acme adapter break one rule of the contract.
type flaw struct {
	// policy overrides what the adapter configures from Env.
	policy func(*httpclient.Options)
	// wrap rewrites every error the adapter returns.
	wrap func(error) error
	// ops limits the operations (the slow flaws need only one).
	ops int
	// want is what the kit's report must say.
	want string
}

// acme is the smallest adapter built the way every real one is:
// httpclient.Do plus DecodeJSON, with an optional flaw.
func acme(f flaw) conformance.Case {
	return conformance.Case{
		Provider: "acme",
		Secrets:  []string{token},
		Setup: func(t testing.TB, env conformance.Env) []conformance.Op {
			o := httpclient.Options{
				Provider:   "acme",
				BaseURL:    env.URL,
				Timeout:    env.Timeout,
				MaxRetries: env.MaxRetries,
				Sleep:      env.Sleep,
				Logger:     env.Logger,
				Secrets:    []string{token},
				Header:     http.Header{"Authorization": {"Bearer " + token}},
			}
			if f.policy != nil {
				f.policy(&o)
			}
			c, err := httpclient.New(o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.CloseIdleConnections)
			call := func(path string) func(ctx context.Context) error {
				return func(ctx context.Context) error {
					err := func() error {
						resp, err := c.Do(ctx, httpclient.Request{Op: "acme.list", Path: path})
						if err != nil {
							return err
						}
						var v struct {
							Data []struct{ ID string } `json:"data"`
						}
						return httpclient.DecodeJSON("acme.list", resp.Body, &v)
					}()
					if err != nil && f.wrap != nil {
						err = f.wrap(err)
					}
					return err
				}
			}
			ops := []conformance.Op{{Name: "list", Call: call("/v1/things")}, {Name: "get", Call: call("/v1/things/1")}}
			if f.ops > 0 {
				ops = ops[:f.ops]
			}
			return ops
		},
		ErrorBody: func(status int, msg string) []byte {
			b, _ := json.Marshal(map[string]any{"error": map[string]string{"message": fmt.Sprintf("%d: %s", status, msg)}})
			return b
		},
	}
}

// flaws are adapters the kit must fail, each for the reason given.
var flaws = map[string]flaw{
	"never retries": {policy: func(o *httpclient.Options) { o.MaxRetries = -1 },
		want: "made 1 attempts, want 3"},
	"leaks its token": {wrap: func(err error) error { return fmt.Errorf("%w (token %s)", err, token) },
		want: "contains a configured secret"},
	"misclassifies errors": {wrap: func(err error) error {
		return orderbot.Wrap(orderbot.KindPermanent, "acme.list", errors.Unwrap(err), "failed")
	}, want: `kind = "permanent"`},
	"ignores the timeout": {policy: func(o *httpclient.Options) { o.Timeout = conformance.GenerousTimeout }, ops: 1,
		want: "did not end it"},
}

const flawEnv = "CONFORMANCE_FLAW"

func TestRunPassesForAPolicyAdapter(t *testing.T) {
	conformance.Run(t, acme(flaw{}))
}

// TestRunCatchesFlawedAdapters runs the kit, in a child test process, against
// adapters that each break one rule, and checks that it fails them with the
// right report: a kit that cannot fail would pass any adapter.
func TestRunCatchesFlawedAdapters(t *testing.T) {
	if os.Getenv(flawEnv) != "" {
		t.Skip("this is the child process")
	}
	for name, f := range flaws {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestFlawedAdapter$", "-test.count=1")
			cmd.Env = append(os.Environ(), flawEnv+"="+name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the kit passed an adapter that %s (err %v):\n%s", name, err, out)
			}
			if !strings.Contains(string(out), f.want) {
				t.Fatalf("the kit failed an adapter that %s without saying %q:\n%s", name, f.want, out)
			}
		})
	}
}

// TestFlawedAdapter is the child process of TestRunCatchesFlawedAdapters.
func TestFlawedAdapter(t *testing.T) {
	name := os.Getenv(flawEnv)
	if name == "" {
		t.Skip("runs only as the child process of TestRunCatchesFlawedAdapters")
	}
	conformance.Run(t, acme(flaws[name]))
}
