package config

import (
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// kinds.KIND.flap overrides only the keys it sets; the others keep the kind's
// default guard.
func TestFlapOverrides(t *testing.T) {
	c := mustParse(t, "kinds: {payment.missing: {flap: {open_after: 3, resolve_for: 10m, churn_limit: 0}}}", nil)
	got := c.KindSettings()[orderbot.PaymentMissing].Flap
	want := orderbot.DefaultFlapGuard(orderbot.PaymentMissing)
	want.OpenAfter, want.ResolveFor, want.ChurnLimit = 3, 10*time.Minute, 0
	if got != want {
		t.Fatalf("flap = %+v, want %+v", got, want)
	}
	if g := c.KindSettings()[orderbot.SystemStuck].Flap; g != orderbot.DefaultFlapGuard(orderbot.SystemStuck) {
		t.Fatalf("an untouched kind changed: %+v", g)
	}
}
