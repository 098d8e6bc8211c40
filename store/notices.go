package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderbot/orderbot"
)

// Customer notices (product.md §7) live in the ticket space ({t}) so that every
// state change of a notice and the thread line it adds to the ticket's Slack
// card commit in one script: the poster can never show a notice as sent that
// the store holds as sending, nor miss the line of an outcome.
//
// A notice is one hash, ntc:ID, whose ID derives from its dedupe key (order,
// kind and template), so creating it is an atomic "create unless exists": two
// triggers racing for the same notice make one. It moves
//
//	queued ──begin──▶ sending ──finish──▶ sent | failed | queued (retry later)
//	   ▲                 │
//	   │            (lease expires: the sender died mid-call)
//	   │                 ▼
//	   └───resend─── unknown ──mark sent──▶ sent
//
// and "skipped" is recorded at creation for notices that cannot go out (no
// reachable contact, opted out), so the ticket says why once.
//
// Queued notices wait in a sorted set by due time (quiet hours and the daily cap
// move the due time, never drop the notice); sending notices sit in another by
// lease deadline, which RecoverNotices turns into "unknown".

// NoticeState is where a customer notice is in its life.
type NoticeState string

// Notice states.
const (
	NoticeQueued  NoticeState = "queued"
	NoticeSending NoticeState = "sending"
	NoticeSent    NoticeState = "sent"
	NoticeFailed  NoticeState = "failed"
	NoticeUnknown NoticeState = "unknown"
	NoticeSkipped NoticeState = "skipped"
)

// Terminal reports whether nothing more happens to a notice in this state
// without a person acting.
func (s NoticeState) Terminal() bool {
	return s == NoticeSent || s == NoticeFailed || s == NoticeSkipped
}

// ChangeNotice is the Change of the outbox entries a notice writes to the
// ticket's stream (OutboxTicketChanges): the poster turns them into thread replies.
// Payload: "notice" (id), "state", "channel", "to" (masked), "detail", "actor".
const ChangeNotice Change = "notice"

// Notice is one customer notice and everything needed to send it again: the
// message is rendered when the notice is created, so a deferred notice goes out
// as it was previewed.
type Notice struct {
	ID       string
	TicketID string
	OrderID  string
	Kind     orderbot.Kind
	Event    string // template event: open, resolve, breach, manual
	Channel  string // "sms" or "email"
	To       string // E.164 phone or email address (PII: never logged, masked in Slack)
	ToMasked string // what Slack and logs show
	Locale   string
	State    NoticeState
	// Due is when a queued notice may go out.
	Due time.Time
	// Attempts counts sends begun; a finish must name the attempt it ends.
	Attempts int
	// Actor is who asked for it: "orderbot" for automatic notices, else a
	// Slack user id.
	Actor string
	// Message is the rendered message (JSON of the sender's message type,
	// opaque to the store).
	Message string
	// ProviderID and ProviderStatus are the provider's answer to the send.
	ProviderID     string
	ProviderStatus string
	// Detail is the staff-readable reason of the latest state: why it was
	// deferred, skipped or failed.
	Detail    string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Zone is the customer's IANA time zone, for quiet hours and the daily
	// cap's day.
	Zone string
	// Bulk marks one of many notices of one ticket (the orders an oversold
	// SKU delays): its thread lines are summarised, except an unknown
	// outcome, which needs a person.
	Bulk bool
}

// NoticeID is the id of the notice with the given dedupe key (order, kind and
// template): the same key always gives the same id.
func NoticeID(dedupe string) string {
	sum := sha256.Sum256([]byte(dedupe))
	return "N" + hex.EncodeToString(sum[:8])
}

// ContactHash is the hashed, normalised form of a phone or email used for
// opt-outs and daily caps, so neither key names nor sets hold a customer's
// contact in clear.
func ContactHash(contact string) string {
	n := NormalizeContact(contact)
	if n == "" {
		n = contact
	}
	sum := sha256.Sum256([]byte(n))
	return hex.EncodeToString(sum[:12])
}

func (s *Store) noticeKey(id string) string        { return s.key(tagTickets, "ntc", id) }
func (s *Store) noticeDueKey() string              { return s.key(tagTickets, "ntc", "due") }
func (s *Store) noticeSendingKey() string          { return s.key(tagTickets, "ntc", "sending") }
func (s *Store) noticeByTicketKey(t string) string { return s.key(tagTickets, "ntc", "tk", t) }
func (s *Store) noticeCapKey(k string) string      { return s.key(tagTickets, "ntc", "cap", k) }
func (s *Store) optOutKey() string                 { return s.key("optout") }

// noticeRetention is how long a settled notice (and so its dedupe) is kept.
const noticeRetention = 400 * 24 * time.Hour

// noticeFields encodes n for HSET.
func noticeFields(n Notice) []any {
	ms := func(t time.Time) string {
		if t.IsZero() {
			return "0"
		}
		return strconv.FormatInt(t.UnixMilli(), 10)
	}
	return []any{
		"id", n.ID, "ticket", n.TicketID, "order", n.OrderID, "kind", string(n.Kind), "event", n.Event,
		"channel", n.Channel, "to", n.To, "tom", n.ToMasked, "locale", n.Locale, "state", string(n.State),
		"due", ms(n.Due), "attempts", strconv.Itoa(n.Attempts), "by", n.Actor, "msg", n.Message,
		"pid", n.ProviderID, "pstat", n.ProviderStatus, "detail", clip(n.Detail, maxDetail),
		"created", ms(n.CreatedAt), "updated", ms(n.UpdatedAt), "zone", n.Zone, "bulk", flag(n.Bulk),
	}
}

// noticeOf decodes a HGETALL reply (a flat list or a map).
func noticeOf(v any) Notice {
	m := map[string]string{}
	switch x := v.(type) {
	case []any:
		for i := 0; i+1 < len(x); i += 2 {
			k, _ := x[i].(string)
			val, _ := x[i+1].(string)
			m[k] = val
		}
	case map[string]string:
		m = x
	}
	t := func(k string) time.Time {
		v, _ := strconv.ParseInt(m[k], 10, 64)
		if v == 0 {
			return time.Time{}
		}
		return time.UnixMilli(v).UTC()
	}
	att, _ := strconv.Atoi(m["attempts"])
	return Notice{
		ID: m["id"], TicketID: m["ticket"], OrderID: m["order"], Kind: orderbot.Kind(m["kind"]), Event: m["event"],
		Channel: m["channel"], To: m["to"], ToMasked: m["tom"], Locale: m["locale"], State: NoticeState(m["state"]),
		Due: t("due"), Attempts: att, Actor: m["by"], Message: m["msg"], ProviderID: m["pid"],
		ProviderStatus: m["pstat"], Detail: m["detail"], CreatedAt: t("created"), UpdatedAt: t("updated"), Zone: m["zone"], Bulk: m["bulk"] == "1",
	}
}

// statusReply decodes {status, fields} script replies.
func statusReply(v any) (string, Notice) {
	r, _ := v.([]any)
	if len(r) != 2 {
		return "", Notice{}
	}
	st, _ := r[0].(string)
	if n, ok := r[0].(int64); ok {
		st = strconv.FormatInt(n, 10)
	}
	return st, noticeOf(r[1])
}

func validNotice(op string, n Notice) error {
	switch {
	case n.ID == "" || n.TicketID == "":
		return orderbot.Errorf(orderbot.KindInvalid, op, "a notice needs an id and a ticket")
	case n.State != NoticeQueued && n.State != NoticeSkipped:
		return orderbot.Errorf(orderbot.KindInvalid, op, "a notice is created queued or skipped, not %q", n.State)
	}
	return nil
}

// CreateNotice records n unless a notice with its id exists. It returns the
// notice as stored and whether this call created it: a second trigger of the
// same notice gets the first one back, so at most one is ever sent. Creating
// writes the notice's first thread line (queued, deferred or skipped).
func (s *Store) CreateNotice(ctx context.Context, n Notice, actor string) (Notice, bool, error) {
	const op = "store.create_notice"
	if err := validNotice(op, n); err != nil {
		return Notice{}, false, err
	}
	now := s.now()
	if n.CreatedAt.IsZero() {
		n.CreatedAt = now
	}
	n.UpdatedAt = n.CreatedAt
	if n.State == NoticeQueued && n.Due.IsZero() {
		n.Due = now
	}
	args := append([]any{s.opts.OutboxMaxLen, actor, int64(noticeRetention.Seconds())}, noticeFields(n)...)
	keys := []string{s.noticeKey(n.ID), s.noticeDueKey(), s.noticeByTicketKey(n.TicketID), s.outboxKey(OutboxTicketChanges)}
	v, err := s.evalSha(ctx, scriptNoticeCreate, keys, args...).Result()
	if err != nil {
		return Notice{}, false, s.fail(op, err)
	}
	created, got := statusReply(v)
	return got, created == "1", nil
}

// DueNotices returns the ids of queued notices due at now, oldest first.
func (s *Store) DueNotices(ctx context.Context, now time.Time, limit int) ([]string, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.noticeDueKey(), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, s.fail("store.due_notices", err)
	}
	return ids, nil
}

// NextNoticeDue is the due time of the earliest queued notice, or zero when
// none is queued.
func (s *Store) NextNoticeDue(ctx context.Context) (time.Time, error) {
	z, err := s.rdb.ZRangeWithScores(ctx, s.noticeDueKey(), 0, 0).Result()
	if err != nil {
		return time.Time{}, s.fail("store.next_notice_due", err)
	}
	if len(z) == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(int64(z[0].Score)).UTC(), nil
}

// BeginOutcome is what BeginNotice did.
type BeginOutcome string

// Outcomes of BeginNotice.
const (
	BeginOK     BeginOutcome = "ok"     // the caller must send now and then FinishNotice
	BeginNotDue BeginOutcome = "notdue" // not due yet (another replica deferred it)
	BeginGone   BeginOutcome = "gone"   // not queued any more (sent, settled, or begun elsewhere)
	BeginCapped BeginOutcome = "capped" // the recipient's daily cap is used up; deferred to capDefer
)

// BeginNotice marks a due, queued notice as sending, counting it against the
// daily cap (limit > 0) of the counter capName (the recipient's hash and local
// day, see ContactHash) and holding it for lease: a notice still sending when
// the lease ends is turned "unknown" by RecoverNotices, never sent again by
// itself. This is the record "before the provider call".
func (s *Store) BeginNotice(ctx context.Context, id string, now time.Time, lease time.Duration, capName string, limit int, capDefer time.Time) (BeginOutcome, Notice, error) {
	const op = "store.begin_notice"
	if capName == "" {
		limit = 0
	}
	keys := []string{s.noticeKey(id), s.noticeDueKey(), s.noticeSendingKey(), s.noticeCapKey(capName)}
	v, err := s.evalSha(ctx, scriptNoticeBegin, keys, now.UnixMilli(), now.Add(lease).UnixMilli(), limit,
		int64((48 * time.Hour).Seconds()), capDefer.UnixMilli()).Result()
	if err != nil {
		return "", Notice{}, s.fail(op, err)
	}
	st, n := statusReply(v)
	return BeginOutcome(st), n, nil
}

// NoticeResult is the outcome of one send, for FinishNotice.
type NoticeResult struct {
	// State is sent, failed, unknown or queued (a definite "not sent" that may
	// be tried again at Retry).
	State          NoticeState
	Retry          time.Time
	ProviderID     string
	ProviderStatus string
	Detail         string
}

// FinishNotice records the outcome of the send begun as attempt: the record
// "after the provider call", with its thread line. A notice no longer sending
// that attempt (its lease ran out and it was marked unknown) is a KindConflict
// error; the outcome is then recorded by a person through SettleNotice.
func (s *Store) FinishNotice(ctx context.Context, id string, attempt int, r NoticeResult) (Notice, error) {
	const op = "store.finish_notice"
	switch r.State {
	case NoticeSent, NoticeFailed, NoticeUnknown, NoticeQueued:
	default:
		return Notice{}, orderbot.Errorf(orderbot.KindInvalid, op, "a send ends sent, failed, unknown or queued, not %q", r.State)
	}
	now := s.now()
	keys := []string{s.noticeKey(id), s.noticeDueKey(), s.noticeSendingKey(), s.outboxKey(OutboxTicketChanges),
		s.hourRollupKey(tagTickets, unixHour(now))}
	args := []any{s.opts.OutboxMaxLen, "orderbot", strconv.Itoa(attempt), string(r.State), now.UnixMilli(),
		r.Retry.UnixMilli(), int64(noticeRetention.Seconds()),
		"pid", r.ProviderID, "pstat", r.ProviderStatus, "detail", clip(r.Detail, maxDetail)}
	v, err := s.evalSha(ctx, scriptNoticeFinish, keys, args...).Result()
	if err != nil {
		return Notice{}, s.fail(op, err)
	}
	st, n := statusReply(v)
	if st != "ok" {
		return n, orderbot.Errorf(orderbot.KindConflict, op, "notice %s is %s, no longer sending attempt %d", id, orEmpty(string(n.State)), attempt)
	}
	return n, nil
}

// DeferNotice moves a queued notice's due time (quiet hours, a provider's rate
// limit); say writes detail to the ticket thread.
func (s *Store) DeferNotice(ctx context.Context, id string, due time.Time, detail string, say bool) (Notice, error) {
	const op = "store.defer_notice"
	emit := "0"
	if say {
		emit = "1"
	}
	keys := []string{s.noticeKey(id), s.noticeDueKey(), s.outboxKey(OutboxTicketChanges)}
	v, err := s.evalSha(ctx, scriptNoticeDefer, keys, s.opts.OutboxMaxLen, "orderbot", due.UnixMilli(),
		s.now().UnixMilli(), clip(detail, maxDetail), emit).Result()
	if err != nil {
		return Notice{}, s.fail(op, err)
	}
	st, n := statusReply(v)
	if st != "ok" {
		return n, orderbot.Errorf(orderbot.KindConflict, op, "notice %s is %s, not queued", id, orEmpty(string(n.State)))
	}
	return n, nil
}

// RecoverNotices marks as unknown every notice whose sending lease ended
// before now (its sender died or hung between the two records) and writes the
// thread line that asks a person to settle it. It returns their ids.
func (s *Store) RecoverNotices(ctx context.Context, now time.Time, limit int) ([]string, error) {
	const op = "store.recover_notices"
	detail := "orderbot stopped while sending this notice, so it may or may not have reached the customer; " +
		"it will not be sent again unless someone chooses Resend"
	v, err := s.evalSha(ctx, scriptNoticeRecover, []string{s.noticeSendingKey(), s.outboxKey(OutboxTicketChanges)},
		s.opts.OutboxMaxLen, now.UnixMilli(), limit, s.noticeKey(""), detail).StringSlice()
	if err != nil {
		return nil, s.fail(op, err)
	}
	return v, nil
}

// Settle actions of SettleNotice.
const (
	SettleResend   = "resend"
	SettleMarkSent = "mark_sent"
)

// SettleNotice lets a person decide an unknown notice: SettleResend queues it
// again (due now), SettleMarkSent records it as sent. Any other state is a
// KindConflict error naming it.
func (s *Store) SettleNotice(ctx context.Context, id, action, actor string) (Notice, error) {
	const op = "store.settle_notice"
	var detail string
	switch action {
	case SettleResend:
		detail = "sent again at staff request"
	case SettleMarkSent:
		detail = "marked as sent by staff"
	default:
		return Notice{}, orderbot.Errorf(orderbot.KindInvalid, op, "unknown settle action %q", action)
	}
	now := s.now()
	keys := []string{s.noticeKey(id), s.noticeDueKey(), s.outboxKey(OutboxTicketChanges)}
	v, err := s.evalSha(ctx, scriptNoticeSettle, keys, s.opts.OutboxMaxLen, actor, action, now.UnixMilli(),
		int64(noticeRetention.Seconds()), detail).Result()
	if err != nil {
		return Notice{}, s.fail(op, err)
	}
	st, n := statusReply(v)
	if st != "ok" {
		if n.ID == "" {
			return n, orderbot.Errorf(orderbot.KindNotFound, op, "notice %s does not exist (it may have expired)", id)
		}
		return n, orderbot.Errorf(orderbot.KindConflict, op, "notice %s is already %s", id, n.State)
	}
	return n, nil
}

// GetNotice returns one notice; a missing one is KindNotFound.
func (s *Store) GetNotice(ctx context.Context, id string) (Notice, error) {
	const op = "store.get_notice"
	m, err := s.rdb.HGetAll(ctx, s.noticeKey(id)).Result()
	if err != nil {
		return Notice{}, s.fail(op, err)
	}
	if len(m) == 0 {
		return Notice{}, orderbot.Errorf(orderbot.KindNotFound, op, "notice %s does not exist", id)
	}
	return noticeOf(m), nil
}

// TicketNotices returns the notices of a ticket that are still kept, oldest
// first.
func (s *Store) TicketNotices(ctx context.Context, ticketID string) ([]Notice, error) {
	const op = "store.ticket_notices"
	ids, err := s.rdb.SMembers(ctx, s.noticeByTicketKey(ticketID)).Result()
	if err != nil {
		return nil, s.fail(op, err)
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.noticeKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return nil, s.fail(op, err)
	}
	out := make([]Notice, 0, len(ids))
	var gone []any
	for i, c := range cmds {
		if m := c.Val(); len(m) > 0 {
			out = append(out, noticeOf(m))
		} else {
			gone = append(gone, ids[i])
		}
	}
	if len(gone) > 0 {
		s.rdb.SRem(ctx, s.noticeByTicketKey(ticketID), gone...)
	}
	sortNotices(out)
	return out, nil
}

func sortNotices(ns []Notice) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && ns[j].CreatedAt.Before(ns[j-1].CreatedAt); j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}

// AddOptOut records contacts (phones or emails) that must never get a notice,
// for example a number whose owner replied STOP.
func (s *Store) AddOptOut(ctx context.Context, contacts ...string) error {
	if len(contacts) == 0 {
		return nil
	}
	hs := make([]any, len(contacts))
	for i, c := range contacts {
		hs[i] = ContactHash(c)
	}
	return s.fail("store.add_opt_out", s.rdb.SAdd(ctx, s.optOutKey(), hs...).Err())
}

// OptedOut reports whether contact is on the stored opt-out list.
func (s *Store) OptedOut(ctx context.Context, contact string) (bool, error) {
	ok, err := s.rdb.SIsMember(ctx, s.optOutKey(), ContactHash(contact)).Result()
	if err != nil {
		return false, s.fail("store.opted_out", err)
	}
	return ok, nil
}

// NoticeMessage decodes a notice's stored message into v.
func NoticeMessage(n Notice, v any) error {
	if err := json.Unmarshal([]byte(n.Message), v); err != nil {
		return orderbot.Wrap(orderbot.KindPermanent, "store.notice_message", err, "notice "+n.ID+" holds an unreadable message")
	}
	return nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func orEmpty(s string) string {
	if s == "" {
		return "missing"
	}
	return s
}
