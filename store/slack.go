package store

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/redis/go-redis/v9"
)

// Slack poster state (written for the bot package): the exactly-once post
// ledger, storm-control counters, per-channel pacing shared by all replicas, and
// Events API de-duplication. Everything carries the {sl} tag, so the storm script
// may touch its keys together; all of it is bounded by TTLs.
//
//	{sl}:post:<key>             hash: one post the poster makes exactly once
//	{sl}:win:<channel>:<kind>   zset: new tickets carded in the storm window
//	{sl}:storm:<channel>:<kind> hash: current storm episode of a channel and kind
//	{sl}:subj:<channel>:<kind>  zset: subjects of the episode, scored by count
//	{sl}:sbr:<channel>:<kind>   set: folded tickets of the episode that breached
//	{sl}:fold:<channel>:<kind> hash: ticket id → storm episode it was folded into
//	{sl}:pace:<bucket>          string: pacing (GCRA theoretical arrival time, ms)
//	{sl}:evt:<id>               string: an Events API delivery already handled
const tagSlack = "{sl}"

func (s *Store) slackPostKey(key string) string { return s.key(tagSlack, "post", key) }
func (s *Store) slackWinKey(channel, kind string) string {
	return s.key(tagSlack, "win", channel, kind)
}
func (s *Store) slackStormKey(channel, kind string) string {
	return s.key(tagSlack, "storm", channel, kind)
}
func (s *Store) slackSubjKey(channel, kind string) string {
	return s.key(tagSlack, "subj", channel, kind)
}
func (s *Store) slackBreachKey(channel, kind string) string {
	return s.key(tagSlack, "sbr", channel, kind)
}
func (s *Store) slackFoldKey(channel, kind string) string {
	return s.key(tagSlack, "fold", channel, kind)
}
func (s *Store) slackPaceKey(bucket string) string { return s.key(tagSlack, "pace", bucket) }
func (s *Store) slackEventKey(id string) string    { return s.key(tagSlack, "evt", id) }

// SlackPost says where one exactly-once Slack post stands.
type SlackPost struct {
	// Done: the post happened; Channel and TS say where.
	Done    bool
	Channel string
	TS      string
	// Busy: another holder's lease is live; try later.
	Busy bool
	// Uncertain: an earlier attempt may have reached Slack (the process died, or a
	// call failed without a clear answer). Look for the message before posting.
	Uncertain bool
	// Since is when the first attempt began, the lower bound for that search.
	Since time.Time
}

func validSlackKey(op, key string) error {
	if key == "" || len(key) > 300 {
		return orderbot.Errorf(orderbot.KindInvalid, op, "a Slack post key must have 1 to 300 characters")
	}
	return nil
}

// BeginSlackPost takes the lease on post key for holder before the Slack call is
// made. It returns Done with the message when the post already happened, Busy
// when another holder's lease is live, and otherwise the go-ahead, with
// Uncertain set when an earlier attempt may have posted. The record lives for
// keep.
func (s *Store) BeginSlackPost(ctx context.Context, key, holder string, lease, keep time.Duration) (SlackPost, error) {
	const op = "store.begin_slack_post"
	if err := validSlackKey(op, key); err != nil {
		return SlackPost{}, err
	}
	if holder == "" || lease < time.Millisecond || keep < lease {
		return SlackPost{}, orderbot.Errorf(orderbot.KindInvalid, op, "a Slack post needs a holder, a lease and a keep time of at least the lease")
	}
	r, err := s.evalSha(ctx, scriptSlackPostBegin, []string{s.slackPostKey(key)}, holder, lease.Milliseconds(), keep.Milliseconds()).StringSlice()
	if err != nil {
		return SlackPost{}, s.fail(op, err)
	}
	switch r[0] {
	case "done":
		return SlackPost{Done: true, Channel: r[1], TS: r[2]}, nil
	case "busy":
		return SlackPost{Busy: true}, nil
	}
	since, _ := strconv.ParseInt(r[2], 10, 64)
	return SlackPost{Uncertain: r[1] == "1", Since: time.UnixMilli(since)}, nil
}

// FinishSlackPost records that post key happened at (channel, ts) and keeps the
// record for keep. If another result was recorded first, that one is returned.
func (s *Store) FinishSlackPost(ctx context.Context, key, channel, ts string, keep time.Duration) (SlackPost, error) {
	const op = "store.finish_slack_post"
	if err := validSlackKey(op, key); err != nil {
		return SlackPost{}, err
	}
	r, err := s.evalSha(ctx, scriptSlackPostFinish, []string{s.slackPostKey(key)}, channel, ts, keep.Milliseconds()).StringSlice()
	if err != nil {
		return SlackPost{}, s.fail(op, err)
	}
	return SlackPost{Done: true, Channel: r[0], TS: r[1]}, nil
}

// AbortSlackPost gives up holder's lease on post key after a failed attempt.
// reached says whether the call may have reached Slack (a timeout, a 5xx); when
// false the next attempt need not look for the message.
func (s *Store) AbortSlackPost(ctx context.Context, key, holder string, reached bool) error {
	const op = "store.abort_slack_post"
	if err := validSlackKey(op, key); err != nil {
		return err
	}
	flag := "0"
	if reached {
		flag = "1"
	}
	if err := s.evalSha(ctx, scriptSlackPostAbort, []string{s.slackPostKey(key)}, holder, flag).Err(); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// SlackPostDone returns the channel and ts of post key when it happened, or
// empty strings.
func (s *Store) SlackPostDone(ctx context.Context, key string) (channel, ts string, err error) {
	const op = "store.slack_post_done"
	if err := validSlackKey(op, key); err != nil {
		return "", "", err
	}
	v, err := s.rdb.HMGet(ctx, s.slackPostKey(key), "d", "c", "ts").Result()
	if err != nil {
		return "", "", s.fail(op, err)
	}
	if d, _ := v[0].(string); d != "1" {
		return "", "", nil
	}
	channel, _ = v[1].(string)
	ts, _ = v[2].(string)
	return channel, ts, nil
}

// StormTicket is a new ticket asking for a card.
type StormTicket struct {
	ID      string
	Subject string
	Count   int64          // times seen, which ranks the storm's top subjects
	AtRisk  orderbot.Money // summed per currency over the storm's tickets
}

// StormAdmission says which tickets get their own card and which fold into the
// storm summary of (channel, kind).
type StormAdmission struct {
	Carded []string
	Folded []string
	// Storm is the current storm episode of (channel, kind); 0 before the first.
	Storm int64
}

// AdmitSlackCards applies storm control to new tickets of one kind for one
// channel: while at most threshold tickets were carded within window, each gets
// its own card; the next one starts a storm episode, and every new ticket until
// window passes without one folds into it. Admission is idempotent per ticket
// and channel. Storm state is kept for keep.
func (s *Store) AdmitSlackCards(ctx context.Context, channel string, kind orderbot.Kind, window time.Duration, threshold int, keep time.Duration, ts []StormTicket) (StormAdmission, error) {
	const op = "store.admit_slack_cards"
	if channel == "" || kind == "" || window <= 0 || threshold < 1 {
		return StormAdmission{}, orderbot.Errorf(orderbot.KindInvalid, op, "storm admission needs a channel, a kind, a window and a threshold")
	}
	if len(ts) == 0 {
		return StormAdmission{}, nil
	}
	k := string(kind)
	keys := []string{s.slackWinKey(channel, k), s.slackStormKey(channel, k), s.slackSubjKey(channel, k), s.slackFoldKey(channel, k), s.slackBreachKey(channel, k)}
	args := make([]any, 0, 5+5*len(ts))
	args = append(args, ms(s.now()), window.Milliseconds(), threshold, keep.Milliseconds(), channel)
	for _, t := range ts {
		n := t.Count
		if n < 1 {
			n = 1
		}
		args = append(args, t.ID, t.Subject, n, t.AtRisk.Minor, t.AtRisk.Currency)
	}
	r, err := s.evalSha(ctx, scriptSlackAdmit, keys, args...).Slice()
	if err != nil {
		return StormAdmission{}, s.fail(op, err)
	}
	var out StormAdmission
	out.Carded = stringsOf(r[0])
	out.Folded = stringsOf(r[1])
	sid, _ := r[2].(string)
	out.Storm, _ = strconv.ParseInt(sid, 10, 64)
	return out, nil
}

func stringsOf(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// SlackFold returns the storm episode a ticket of kind was folded into for a
// channel, or 0 when it has (or will get) a card of its own there.
func (s *Store) SlackFold(ctx context.Context, ticketID, channel string, kind orderbot.Kind) (int64, error) {
	v, err := s.rdb.HGet(ctx, s.slackFoldKey(channel, string(kind)), ticketID).Result()
	if isNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, s.fail("store.slack_fold", err)
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n, nil
}

// SlackStormBreach counts the first SLA breach of folded tickets in storm
// episode id and returns how many were new.
func (s *Store) SlackStormBreach(ctx context.Context, channel string, kind orderbot.Kind, id int64, ticketIDs ...string) (int, error) {
	if len(ticketIDs) == 0 {
		return 0, nil
	}
	keys := []string{s.slackStormKey(channel, string(kind)), s.slackBreachKey(channel, string(kind))}
	args := make([]any, 0, 1+len(ticketIDs))
	args = append(args, strconv.FormatInt(id, 10))
	for _, t := range ticketIDs {
		args = append(args, t)
	}
	n, err := s.evalSha(ctx, scriptSlackStormBreach, keys, args...).Int()
	if err != nil {
		return 0, s.fail("store.slack_storm_breach", err)
	}
	return n, nil
}

// SlackCardRef names a ticket's card in one channel: Key is its post key.
type SlackCardRef struct {
	Ticket  string
	Kind    orderbot.Kind
	Channel string
	Key     string
}

// SlackCardState is where a ticket's card in a channel stands: posted at TS,
// folded into storm episode Storm, or neither yet.
type SlackCardState struct {
	TS    string
	Storm int64
}

// SlackCards looks up many cards at once (one pipeline), for a burst of outbox
// entries.
func (s *Store) SlackCards(ctx context.Context, refs []SlackCardRef) ([]SlackCardState, error) {
	const op = "store.slack_cards"
	out := make([]SlackCardState, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	pipe := s.rdb.Pipeline()
	posts := make([]*redis.SliceCmd, len(refs))
	folds := make([]*redis.StringCmd, len(refs))
	for i, r := range refs {
		posts[i] = pipe.HMGet(ctx, s.slackPostKey(r.Key), "d", "ts")
		folds[i] = pipe.HGet(ctx, s.slackFoldKey(r.Channel, string(r.Kind)), r.Ticket)
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return nil, s.fail(op, err)
	}
	for i := range refs {
		v := posts[i].Val()
		if len(v) == 2 {
			if d, _ := v[0].(string); d == "1" {
				out[i].TS, _ = v[1].(string)
			}
		}
		if f, err := folds[i].Result(); err == nil {
			out[i].Storm, _ = strconv.ParseInt(f, 10, 64)
		}
	}
	return out, nil
}

// SubjectCount is one subject of a storm and how often it was seen.
type SubjectCount struct {
	Subject string
	Count   int64
}

// SlackStormState is a storm episode as its summary card shows it.
type SlackStormState struct {
	ID       int64
	Total    int64 // tickets folded
	Carded   int64 // tickets carded in the window when the storm began
	Breached int64
	Started  time.Time
	Last     time.Time
	Until    time.Time // the episode ends when no new ticket arrives before this
	Top      []SubjectCount
	AtRisk   []orderbot.Money // money at risk over the folded tickets, per currency
}

// SlackStorm returns the current storm episode of (channel, kind) with its top
// subjects; ID 0 when there never was one.
func (s *Store) SlackStorm(ctx context.Context, channel string, kind orderbot.Kind, top int) (SlackStormState, error) {
	const op = "store.slack_storm"
	pipe := s.rdb.Pipeline()
	h := pipe.HMGet(ctx, s.slackStormKey(channel, string(kind)), "id", "total", "carded", "breached", "started", "last", "until")
	all := pipe.HGetAll(ctx, s.slackStormKey(channel, string(kind)))
	z := pipe.ZRevRangeWithScores(ctx, s.slackSubjKey(channel, string(kind)), 0, int64(max(top, 1)-1))
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return SlackStormState{}, s.fail(op, err)
	}
	n := func(i int) int64 {
		v, _ := h.Val()[i].(string)
		x, _ := strconv.ParseInt(v, 10, 64)
		return x
	}
	st := SlackStormState{ID: n(0), Total: n(1), Carded: n(2), Breached: n(3),
		Started: fromMs(n(4)), Last: fromMs(n(5)), Until: fromMs(n(6))}
	for _, m := range z.Val() {
		subj, _ := m.Member.(string)
		st.Top = append(st.Top, SubjectCount{Subject: subj, Count: int64(m.Score)})
	}
	for f, v := range all.Val() {
		if cur, ok := strings.CutPrefix(f, "r:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			st.AtRisk = append(st.AtRisk, orderbot.Money{Minor: n, Currency: cur})
		}
	}
	sort.Slice(st.AtRisk, func(i, j int) bool { return st.AtRisk[i].Currency < st.AtRisk[j].Currency })
	return st, nil
}

// SlackPace reserves the next send slot of bucket (a channel for posts, a method
// for workspace-wide limits) for all replicas at once, allowing burst sends
// back to back, and returns how long the caller must wait before sending.
func (s *Store) SlackPace(ctx context.Context, bucket string, interval time.Duration, burst int) (time.Duration, error) {
	if burst < 1 {
		burst = 1
	}
	wait, err := s.evalSha(ctx, scriptSlackPace, []string{s.slackPaceKey(bucket)}, interval.Milliseconds(), burst).Int64()
	if err != nil {
		return 0, s.fail("store.slack_pace", err)
	}
	return time.Duration(wait) * time.Millisecond, nil
}

// FirstSlackDelivery reports true the first time it sees an Events API event id
// within ttl: Slack redelivers events it thinks were not acknowledged.
func (s *Store) FirstSlackDelivery(ctx context.Context, eventID string, ttl time.Duration) (bool, error) {
	const op = "store.first_slack_delivery"
	if eventID == "" || len(eventID) > 200 {
		return false, orderbot.Errorf(orderbot.KindInvalid, op, "an event id must have 1 to 200 characters")
	}
	ok, err := s.rdb.SetNX(ctx, s.slackEventKey(eventID), "1", ttl).Result()
	if err != nil {
		return false, s.fail(op, err)
	}
	return ok, nil
}

// SlackTickets loads many tickets in pipelined chunks (the poster renders a
// burst of outbox entries at once); missing ids are left out.
func (s *Store) SlackTickets(ctx context.Context, ids []string) (map[string]orderbot.Ticket, error) {
	norm := make([]string, 0, len(ids))
	for _, id := range ids {
		if nid, ok := normalizeID(id); ok {
			norm = append(norm, nid)
		}
	}
	ts, err := s.loadTickets(ctx, norm)
	if err != nil {
		return nil, s.fail("store.slack_tickets", err)
	}
	out := make(map[string]orderbot.Ticket, len(ts))
	for _, t := range ts {
		out[t.ID] = t
	}
	return out, nil
}

// RenewSlackPost extends holder's lease on post key to lease from now, while
// the Slack call takes long (429 waits, retries); false when holder no longer
// holds it. Leases stay short, so a holder that died is replaced quickly.
func (s *Store) RenewSlackPost(ctx context.Context, key, holder string, lease time.Duration) (bool, error) {
	const op = "store.renew_slack_post"
	if err := validSlackKey(op, key); err != nil {
		return false, err
	}
	n, err := s.evalSha(ctx, scriptSlackPostRenew, []string{s.slackPostKey(key)}, holder, lease.Milliseconds()).Int()
	if err != nil {
		return false, s.fail(op, err)
	}
	return n == 1, nil
}
