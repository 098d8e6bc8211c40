package store

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
)

// appendContent must write exactly what json.Marshal writes: the content
// digest of every stored ticket was taken over json.Marshal's bytes, and a
// different byte would make every ticket look updated once.
func TestAppendContentMatchesJSON(t *testing.T) {
	cases := []struct {
		name    string
		summary string
		facts   []orderbot.Fact
	}{
		{"plain", "Order 1001: payment succeeded, order unpaid", []orderbot.Fact{{Label: "Amount", Value: "199.00 USD"}}},
		{"no facts", "only a summary", nil},
		{"empty facts", "empty, not nil", []orderbot.Fact{}},
		{"empty strings", "", []orderbot.Fact{{}}},
		{"html and quotes", `<b>"x" & 'y'</b> \ /`, []orderbot.Fact{{Label: "a<b", Value: "c>d&e"}}},
		{"control characters", "tab\tnl\ncr\rbs\bff\fnul\x00us\x1fdel\x7f", nil},
		{"unicode", "Lieferung für Zürich — 東京 🚚 \u2028 \u2029 \u00a0", nil},
		{"invalid utf-8", "bad \xff\xfe bytes \xc3 and \xe2\x82", []orderbot.Fact{{Label: "\xed\xa0\x80", Value: "ok"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := orderbot.Anomaly{Summary: c.summary, Facts: c.facts}
			checkContent(t, &a)
		})
	}
	// Random strings over an alphabet of every class of byte and rune the
	// encoder treats specially.
	alphabet := []string{"a", "Z", "0", " ", "\"", "\\", "/", "<", ">", "&", "\x00", "\x01", "\b", "\f", "\n", "\r", "\t",
		"\x1f", "\x7f", "é", "€", "𝄞", "\u2028", "\u2029", "\xff", "\xc3", "\xe2\x82", "\xf0\x9f"}
	r := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		var b strings.Builder
		for n := r.IntN(12); n > 0; n-- {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := 0; i < 2000; i++ {
		a := orderbot.Anomaly{Summary: word()}
		for n := r.IntN(3); n > 0; n-- {
			a.Facts = append(a.Facts, orderbot.Fact{Label: word(), Value: word()})
		}
		checkContent(t, &a)
	}
}

func checkContent(t *testing.T, a *orderbot.Anomaly) {
	t.Helper()
	c := content{Summary: a.Summary, Facts: a.Facts}
	want, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendContent(nil, a); string(got) != string(want) {
		t.Fatalf("content of %q %q:\n got %s\nwant %s", a.Summary, a.Facts, got, want)
	}
}

// Count and last seen have fixed widths, so a recurrence rewrites them in place.
func TestAppendFixedTime(t *testing.T) {
	cases := []struct {
		in   int64
		want string
	}{
		{0, "000000000000000"},
		{1740997920000, "001740997920000"},
		{-123, "-00000000000123"},
		{timeMax, "099999999999999"},
		{timeMax + 7, "099999999999999"},
		{-timeMax - 7, "-99999999999999"},
	}
	for _, c := range cases {
		got := string(appendFixedTime(nil, c.in))
		if got != c.want || len(got) != timeWidth {
			t.Errorf("appendFixedTime(%d) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The ticket string Go builds for an open must be exactly what the Lua model
// writes for the same fields (lua/common.lua serialise): the recurrence fast
// path finds count, last seen and look at fixed offsets of both, and a
// transition rewrites the whole string.
func TestNewTicketLayoutIsCanonical(t *testing.T) {
	e := newEnv(t, Options{WarnBefore: 5 * time.Minute})
	ctx := context.Background()
	c := e.srv.Universal(t)
	now := e.clock.Now()
	reserialise := ticketScript(`return serialise(parse('', redis.call('GET', P_TK .. ARGV[ARG0 + 1])).f)`)
	withStage := anomaly(orderbot.ShippingLateDispatch, "O-77")
	withStage.Stage, withStage.OrderID, withStage.Department = "warning", "O-78", ""
	old := anomaly(orderbot.PaymentMissing, "old")
	old.DetectedAt = time.UnixMilli(-5000) // before 1970: a signed last-seen time
	ups := []Upsert{
		{Anomaly: anomaly(orderbot.PaymentUnrecorded, "1"), AckDue: now.Add(15 * time.Minute), ResolveDue: now.Add(2 * time.Hour)},
		{Anomaly: anomaly(orderbot.PaymentUnrecorded, "2")},
		{Anomaly: withStage, ResolveDue: now.Add(-time.Minute)},
		{Anomaly: old, AckDue: now.Add(time.Hour)},
	}
	res, err := e.st.UpsertTickets(ctx, ups)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		raw := c.Get(ctx, e.st.ticketKey(r.Ticket.ID)).Val()
		again, err := reserialise.Run(ctx, c, e.st.tkeys, append(e.st.ticketArgs(now, 1), r.Ticket.ID)...).Text()
		if err != nil {
			t.Fatal(err)
		}
		if again != raw {
			t.Fatalf("upsert %d: Go wrote\n %q\nLua writes\n %q", i, raw, again)
		}
		look := appendLook(nil, &ups[i].Anomaly, appendContent(nil, &ups[i].Anomaly))
		if !strings.HasPrefix(raw, "n\x000000000001\x00ls\x00") || raw[31] != 0 || raw[32:32+len(look)] != string(look) {
			t.Fatalf("upsert %d: head of %q is not count, last seen, look", i, raw)
		}
		stored, err := e.st.Get(ctx, r.Ticket.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stored, r.Ticket) {
			t.Fatalf("upsert %d: returned\n %+v\nstored\n %+v", i, r.Ticket, stored)
		}
	}
	// A recurrence of the ticket seen before 1970 moves its last-seen time
	// across zero, in place.
	old.DetectedAt = now
	res, err = e.st.UpsertTickets(ctx, []Upsert{{Anomaly: old}})
	if err != nil || res[0].Change != ChangeRecurred || !res[0].Ticket.LastSeenAt.Equal(now) || res[0].Ticket.Count != 2 {
		t.Fatalf("recurrence: %+v %v", res, err)
	}
	if stored, _ := e.st.Get(ctx, res[0].Ticket.ID); !reflect.DeepEqual(stored, res[0].Ticket) {
		t.Fatalf("returned\n %+v\nstored\n %+v", res[0].Ticket, stored)
	}
}

// One call with upserts of several kinds, departments, SLA targets and reopen
// windows: each must get its own index entries, SLA scores and reopen rule.
func TestUpsertMixedBatch(t *testing.T) {
	const warn = 5 * time.Minute
	e := newEnv(t, Options{WarnBefore: warn, UpsertBatch: 4})
	ctx := context.Background()
	c := e.srv.Universal(t)

	// Two tickets resolved an hour ago: one may reopen, one may not.
	reopens, stays := anomaly(orderbot.PaymentMissing, "R1"), anomaly(orderbot.PaymentMissing, "R2")
	var resolved []orderbot.Ticket
	for _, a := range []orderbot.Anomaly{reopens, stays} {
		res, err := e.st.UpsertTickets(ctx, []Upsert{{Anomaly: a}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.st.Transition(ctx, res[0].Ticket.ID, Transition{Action: orderbot.ActAutoResolve, Actor: "orderbot"}); err != nil {
			t.Fatal(err)
		}
		resolved = append(resolved, res[0].Ticket)
	}
	now := e.clock.Advance(time.Hour)

	support := anomaly(orderbot.CustomerInvalidAddr, "O-1")
	support.Department = "support"
	noDept := anomaly(orderbot.SystemSourceDown, "shopify")
	noDept.Department = ""
	ups := []Upsert{
		{Anomaly: anomaly(orderbot.PaymentUnrecorded, "P1"), AckDue: now.Add(15 * time.Minute), ResolveDue: now.Add(2 * time.Hour)},
		{Anomaly: support, AckDue: now.Add(time.Hour)},
		{Anomaly: reopens, AckDue: now.Add(10 * time.Minute), ReopenWithin: 24 * time.Hour},
		{Anomaly: anomaly(orderbot.PaymentUnrecorded, "P2"), AckDue: now.Add(15 * time.Minute), ResolveDue: now.Add(2 * time.Hour)},
		{Anomaly: noDept, ResolveDue: now.Add(30 * time.Minute)},
		{Anomaly: stays, AckDue: now.Add(10 * time.Minute)}, // no reopen window: a new ticket
		{Anomaly: support, AckDue: now.Add(time.Hour)},
	}
	res, err := e.st.UpsertTickets(ctx, ups)
	if err != nil {
		t.Fatal(err)
	}
	wantChange := []Change{ChangeOpened, ChangeOpened, ChangeReopened, ChangeOpened, ChangeOpened, ChangeOpened, ChangeRecurred}
	last := map[string]int{} // fingerprint -> its last upsert in the call
	for i, u := range ups {
		last[u.Anomaly.Fingerprint()] = i
	}
	for i, r := range res {
		u := ups[i]
		if r.Change != wantChange[i] {
			t.Fatalf("upsert %d: change %s, want %s", i, r.Change, wantChange[i])
		}
		tk := r.Ticket
		if tk.Kind != u.Anomaly.Kind || tk.Department != u.Anomaly.Department || !tk.AckDue.Equal(u.AckDue) || !tk.ResolveDue.Equal(u.ResolveDue) {
			t.Fatalf("upsert %d: ticket %+v does not match %+v", i, tk, u)
		}
		stored, err := e.st.Get(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if last[tk.Fingerprint] == i && !reflect.DeepEqual(stored, tk) {
			t.Fatalf("upsert %d: returned\n %+v\nstored\n %+v", i, tk, stored)
		}
		checkIndexes(t, e, stored)
		if !c.SIsMember(ctx, e.st.indexKey(idxKind, string(tk.Kind)), tk.ID).Val() {
			t.Fatalf("upsert %d: %s not in the %s kind index", i, tk.ID, tk.Kind)
		}
		if tk.Department != "" && !c.SIsMember(ctx, e.st.indexKey(idxDept, tk.Department), tk.ID).Val() {
			t.Fatalf("upsert %d: %s not in the %s department index", i, tk.ID, tk.Department)
		}
		for _, sla := range []struct {
			key string
			due time.Time
		}{{slaAck, u.AckDue}, {slaResolve, u.ResolveDue}} {
			if sla.due.IsZero() {
				continue
			}
			if got, want := c.ZScore(ctx, e.st.slaKey(sla.key), tk.ID).Val(), float64(sla.due.Add(-warn).UnixMilli()); got != want {
				t.Fatalf("upsert %d: %s score %.0f, want %.0f", i, sla.key, got, want)
			}
		}
	}
	if res[2].Ticket.ID != resolved[0].ID || res[5].Ticket.ID == resolved[1].ID || res[6].Ticket.ID != res[1].Ticket.ID {
		t.Fatalf("ticket ids %s %s %s, resolved %s %s", res[2].Ticket.ID, res[5].Ticket.ID, res[6].Ticket.ID, resolved[0].ID, resolved[1].ID)
	}
	// Ids stay dense: two from before, five new tickets now.
	if got := c.Get(ctx, e.st.seqKey()).Val(); got != "7" {
		t.Fatalf("%s ticket ids handed out, want 7", got)
	}
}
