package bot

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/notify"
)

// Every piece of Block Kit the bot sends is built in this file. Builders escape
// outside text and clip each text object to its Block Kit limit; fitBlocks is a
// final pass that also caps the block count, so no post is ever rejected for size.

// Block Kit limits (docs.slack.dev/reference/block-kit), enforced by truncation.
const (
	maxBlocks        = 50
	maxModalBlocks   = 100
	maxSectionText   = 3000
	maxFields        = 10
	maxFieldText     = 2000
	maxHeaderText    = 150
	maxButtonText    = 75
	maxContextElems  = 10
	maxActionsElems  = 25
	maxOptionText    = 75
	maxOptionValue   = 150
	maxOptions       = 100
	maxBlockID       = 255
	maxButtonValue   = 2000
	maxFallbackText  = 3000 // Slack allows 4000; leave room
	maxModalTitle    = 24
	maxPrivateMeta   = 3000
	maxPlaceholder   = 150
	maxNoteChars     = 2000
	maxFactsShown    = 30
	maxListedTickets = 25
	maxTopSubjects   = 10
)

// Action ids of the card's interactive elements. The ticket id and the card's
// version travel in the value ("T12|7") and in the actions block id.
const (
	actClaim    = "ob.claim"
	actRelease  = "ob.release"
	actSnooze   = "ob.snooze"
	actEscalate = "ob.escalate"
	actReassign = "ob.reassign"
	actResolve  = "ob.resolve"
	actReopen   = "ob.reopen"
	actNotify   = "ob.notify"

	// Buttons of a notice's thread line when its outcome is unknown; their
	// value is "T12|N0123…" (ticket and notice).
	actNoticeResend   = "ob.notice.resend"
	actNoticeMarkSent = "ob.notice.mark_sent"

	// callbackNotify is the Notify customer modal's callback id.
	callbackNotify = "ob.notify"
	blockChannel   = "channel"
	actionChannel  = "channel"

	// callbackResolve is the Resolve modal's callback id.
	callbackResolve = "ob.resolve"
	blockCode       = "code"
	blockNote       = "note"
	actionCode      = "code"
	actionNote      = "note"

	// metadataType marks every message the poster sends, with a unique key in the
	// payload, so a post that may have happened before a crash can be found again.
	metadataType = "orderbot_post"
)

// Snooze choices.
const (
	snooze30m      = "30m"
	snooze2h       = "2h"
	snoozeTomorrow = "tomorrow"
)

// message is a Slack message to post, update or answer with.
type message struct {
	Text     string
	Blocks   []slack.Block
	Metadata *slack.SlackMetadata
}

// cards builds Block Kit; it holds what every card needs from the options.
type cards struct {
	loc        *time.Location
	warnBefore time.Duration
	links      []LinkTemplate
	command    string
	kinds      map[orderbot.Kind]orderbot.KindSettings
	// canNotify reports whether a ticket gets the Notify customer button.
	canNotify func(orderbot.Ticket) bool
}

func newCards(o *Options) *cards {
	c := &cards{loc: o.Location, warnBefore: o.WarnBefore, links: o.Links, command: o.Command, kinds: o.Kinds,
		canNotify: func(orderbot.Ticket) bool { return false }}
	if o.Notices != nil {
		c.canNotify = o.Notices.CanNotify
	}
	return c
}

// Text object constructors. plain and md take already-composed text; callers
// escape outside text with esc first.
func plain(s string, max int) *slack.TextBlockObject {
	s = clip(oneLine(s), max)
	if s == "" {
		s = " "
	}
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

func md(s string, max int) *slack.TextBlockObject {
	s = clip(strings.TrimSpace(s), max)
	if s == "" {
		s = " "
	}
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func blockID(parts ...string) string { return clip(strings.Join(parts, "|"), maxBlockID) }

func kindTitle(k orderbot.Kind) string {
	if s, ok := orderbot.Spec(k); ok {
		return s.Title
	}
	return string(k)
}

func sevEmoji(s orderbot.Severity) string {
	switch s {
	case orderbot.SeverityCritical:
		return ":red_circle:"
	case orderbot.SeverityHigh:
		return ":large_orange_circle:"
	case orderbot.SeverityMedium:
		return ":large_yellow_circle:"
	}
	return ":white_circle:"
}

func stateLabel(s orderbot.TicketState) string {
	switch s {
	case orderbot.StateOpen:
		return "Open"
	case orderbot.StateClaimed:
		return "Claimed"
	case orderbot.StateSnoozed:
		return "Snoozed"
	case orderbot.StateResolved:
		return "Resolved"
	}
	return esc(string(s))
}

// actionValue is what a card button carries: the ticket and the version the card
// showed, so a click on a stale card can be told apart.
func actionValue(t orderbot.Ticket) string { return t.ID + "|" + strconv.FormatInt(t.Version, 10) }

// parseActionValue reads actionValue back; the version is 0 when absent.
func parseActionValue(v string) (id string, version int64) {
	id, ver, _ := strings.Cut(v, "|")
	version, _ = strconv.ParseInt(ver, 10, 64)
	return strings.TrimSpace(id), version
}

// cardView is what one ticket card shows.
type cardView struct {
	T    orderbot.Ticket
	Now  time.Time
	Past []orderbot.Resolution
	// Escalated marks the copy in the escalation channel.
	Escalated bool
}

// ticketFallback is the top-level text: notifications and screen readers get it
// instead of the blocks.
func ticketFallback(t orderbot.Ticket) string {
	s := fmt.Sprintf("[%s] %s — %s: %s (%s, %s)", t.Severity, kindTitle(t.Kind), oneLine(t.Subject),
		oneLine(t.Summary), t.ID, t.State)
	return clip(esc(s), maxFallbackText)
}

// ticketCard builds the interactive card of a ticket.
func (c *cards) ticketCard(v cardView) message {
	t := v.T
	ver := "v" + strconv.FormatInt(t.Version, 10)
	var blocks []slack.Block

	head := fmt.Sprintf("%s %s: %s", sevEmoji(t.Severity), kindTitle(t.Kind), esc(oneLine(t.Subject)))
	blocks = append(blocks, slack.NewHeaderBlock(plain(head, maxHeaderText), slack.HeaderBlockOptionBlockID(blockID("ob", t.ID, ver, "h"))))

	if s := strings.TrimSpace(t.Summary); s != "" {
		blocks = append(blocks, slack.NewSectionBlock(md(esc(s), maxSectionText), nil, nil,
			slack.SectionBlockOptionBlockID(blockID("ob", t.ID, ver, "s"))))
	}

	owner := "nobody"
	if t.Owner != "" {
		owner = mention(t.Owner)
	}
	seen := fmt.Sprintf("%d×, last %s", t.Count, slackDate(t.LastSeenAt, c.loc))
	fields := []*slack.TextBlockObject{
		md("*Severity*\n"+sevEmoji(t.Severity)+" "+esc(string(t.Severity)), maxFieldText),
		md("*State*\n"+stateLabel(t.State)+flappingMark(t), maxFieldText),
		md("*Owner*\n"+owner, maxFieldText),
		md("*Department*\n"+esc(t.Department), maxFieldText),
		md("*Ticket*\n"+esc(t.ID)+" · "+esc(string(t.Kind)), maxFieldText),
		md("*Seen*\n"+seen, maxFieldText),
	}
	if t.OrderID != "" && !hasFact(t.Facts, "Order") {
		// Detection usually lists the order (with its display name) among the
		// facts; the bare id is shown only when it does not.
		fields = append(fields, md("*Order*\n"+esc(t.OrderID), maxFieldText))
	}
	if t.Source != "" {
		fields = append(fields, md("*Source*\n"+esc(t.Source), maxFieldText))
	}
	if t.Stage != "" {
		fields = append(fields, md("*Stage*\n"+esc(t.Stage), maxFieldText))
	}
	if f := atRiskField(t); f != nil {
		fields = append(fields, f)
	}
	blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil, slack.SectionBlockOptionBlockID(blockID("ob", t.ID, ver, "f"))))

	blocks = append(blocks, c.factBlocks(t, ver)...)
	blocks = append(blocks, c.comparisonBlocks(t, ver)...)

	if sla := c.slaLine(t, v.Now); sla != "" {
		blocks = append(blocks, slack.NewContextBlock(blockID("ob", t.ID, ver, "sla"), md(sla, maxSectionText)))
	}
	if t.Flapping && t.State.Active() {
		blocks = append(blocks, slack.NewContextBlock(blockID("ob", t.ID, ver, "fl"), md(
			":repeat: *Flapping*: the condition keeps clearing and coming back, so this ticket stays open instead of resolving and posting again. Resolve it when the cause is fixed.",
			maxSectionText)))
	}
	if t.State == orderbot.StateResolved && t.Resolution != nil {
		r := t.Resolution
		line := fmt.Sprintf(":white_check_mark: Resolved by %s %s: *%s*", mention(r.By), slackDate(r.At, c.loc), esc(humanCode(r.Code)))
		if r.Auto {
			line = fmt.Sprintf(":sparkles: Resolved automatically %s: the condition cleared", slackDate(r.At, c.loc))
		}
		if n := strings.TrimSpace(r.Note); n != "" {
			line += "\n>" + strings.ReplaceAll(esc(n), "\n", "\n>")
		}
		blocks = append(blocks, slack.NewSectionBlock(md(line, maxSectionText), nil, nil,
			slack.SectionBlockOptionBlockID(blockID("ob", t.ID, ver, "r"))))
	}
	if past := pastLine(v.Past); past != "" && t.State != orderbot.StateResolved {
		blocks = append(blocks, slack.NewContextBlock(blockID("ob", t.ID, ver, "kb"), md(past, maxSectionText)))
	}
	if links := c.linkLine(t); links != "" {
		blocks = append(blocks, slack.NewContextBlock(blockID("ob", t.ID, ver, "l"), md(links, maxSectionText)))
	}
	if els := c.actions(t); len(els) > 0 {
		blocks = append(blocks, slack.NewActionBlock(blockID("ob", t.ID, ver, "a"), els...))
	}
	foot := fmt.Sprintf("%s · opened %s", esc(t.ID), slackDate(t.OpenedAt, c.loc))
	if t.Reopened > 0 {
		foot += fmt.Sprintf(" · reopened %d×", t.Reopened)
	}
	if t.Escalation > 0 {
		foot += fmt.Sprintf(" · escalated %d×", t.Escalation)
	}
	if v.Escalated {
		foot += " · copy for the escalation channel; the thread is on the department's card"
	}
	blocks = append(blocks, slack.NewContextBlock(blockID("ob", t.ID, ver, "ft"), md(foot, maxSectionText)))
	return message{Text: ticketFallback(t), Blocks: fitBlocks(blocks, maxBlocks)}
}

// factBlocks shows the facts detection chose for the kind (already masked), ten
// fields per section, at most maxFactsShown in all.
func (c *cards) factBlocks(t orderbot.Ticket, ver string) []slack.Block {
	facts, _ := splitComparisons(t.Facts) // comparisons: see comparisonBlocks
	more := 0
	if len(facts) > maxFactsShown {
		more = len(facts) - maxFactsShown
		facts = facts[:maxFactsShown]
	}
	var out []slack.Block
	for i := 0; i < len(facts); i += maxFields {
		end := min(i+maxFields, len(facts))
		fields := make([]*slack.TextBlockObject, 0, end-i)
		for _, f := range facts[i:end] {
			label := clip(esc(oneLine(f.Label)), 200)
			fields = append(fields, md("*"+label+"*\n"+esc(f.Value), maxFieldText))
		}
		out = append(out, slack.NewSectionBlock(nil, fields, nil,
			slack.SectionBlockOptionBlockID(blockID("ob", t.ID, ver, "x"+strconv.Itoa(i/maxFields)))))
	}
	if more > 0 {
		out = append(out, slack.NewContextBlock(blockID("ob", t.ID, ver, "xm"),
			md(fmt.Sprintf("… and %d more facts: `%s ticket %s`", more, c.command, t.ID), maxSectionText)))
	}
	return out
}

// slaLine is the countdown, the warning before a target, or the breach notice.
func (c *cards) slaLine(t orderbot.Ticket, now time.Time) string {
	switch t.State {
	case orderbot.StateResolved:
		return ""
	case orderbot.StateSnoozed:
		return fmt.Sprintf(":zzz: Snoozed until %s; SLA clocks are paused.", slackDate(t.SnoozedUntil, c.loc))
	}
	var parts []string
	if t.State == orderbot.StateOpen && !t.AckDue.IsZero() {
		parts = append(parts, c.countdown("Claim", t.AckDue, now))
	}
	if !t.ResolveDue.IsZero() {
		parts = append(parts, c.countdown("Resolve", t.ResolveDue, now))
	}
	return strings.Join(parts, "   ")
}

func (c *cards) countdown(what string, due, now time.Time) string {
	left := due.Sub(now)
	switch {
	case left <= 0:
		return fmt.Sprintf(":rotating_light: *%s target missed* %s ago (was due %s)", what, human(left), slackDate(due, c.loc))
	case left <= c.warnBefore:
		return fmt.Sprintf(":warning: *%s due in %s* (%s)", what, human(left), slackDate(due, c.loc))
	}
	return fmt.Sprintf(":stopwatch: %s within %s (by %s)", what, human(left), slackDate(due, c.loc))
}

// codesByCount counts the resolution codes of past, most used first (ties by
// code, so cards are stable).
func codesByCount(past []orderbot.Resolution) ([]string, map[string]int) {
	counts := map[string]int{}
	for _, r := range past {
		counts[r.Code]++
	}
	codes := make([]string, 0, len(counts))
	for code := range counts {
		codes = append(codes, code)
	}
	sort.Slice(codes, func(i, j int) bool {
		if counts[codes[i]] != counts[codes[j]] {
			return counts[codes[i]] > counts[codes[j]]
		}
		return codes[i] < codes[j]
	})
	return codes, counts
}

// pastLine summarises how staff resolved tickets of the kind before. Automatic
// resolutions ("the condition cleared") teach nothing and are left out.
func pastLine(past []orderbot.Resolution) string {
	past = staffResolutions(past)
	if len(past) == 0 {
		return ""
	}
	codes, counts := codesByCount(past)
	parts := make([]string, 0, len(codes))
	for i, code := range codes {
		if i == 5 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", esc(humanCode(code)), counts[code]))
	}
	line := ":books: Resolved before: " + strings.Join(parts, " · ")
	latest := past[0]
	for _, r := range past[1:] {
		if r.At.After(latest.At) {
			latest = r
		}
	}
	if n := oneLine(latest.Note); n != "" {
		line += " — latest note: “" + clip(esc(n), 300) + "”"
	}
	return line
}

// staffResolutions returns the resolutions people chose, without the
// automatic ones.
func staffResolutions(past []orderbot.Resolution) []orderbot.Resolution {
	out := make([]orderbot.Resolution, 0, len(past))
	for _, r := range past {
		if !r.Auto {
			out = append(out, r)
		}
	}
	return out
}

func (c *cards) linkLine(t orderbot.Ticket) string {
	vals := map[string]string{"order": t.OrderID, "subject": t.Subject, "source": t.Source, "ticket": t.ID, "kind": string(t.Kind)}
	var parts []string
	for _, l := range c.links {
		if len(l.Sources) > 0 && !contains(l.Sources, t.Source) {
			continue
		}
		if u, ok := expandLink(l.URL, vals); ok {
			parts = append(parts, link(u, l.Label))
		}
		if len(parts) == 8 {
			break
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ":link: " + strings.Join(parts, " · ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func button(action, label string, t orderbot.Ticket) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(action, actionValue(t), plain(label, maxButtonText))
}

// actions returns the elements that match the ticket's state.
func (c *cards) actions(t orderbot.Ticket) []slack.BlockElement {
	els := c.stateActions(t)
	if c.canNotify(t) {
		els = append(els, button(actNotify, "Notify customer…", t))
	}
	return els
}

func (c *cards) stateActions(t orderbot.Ticket) []slack.BlockElement {
	if t.State == orderbot.StateResolved {
		return []slack.BlockElement{button(actReopen, "Reopen", t)}
	}
	snooze := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Snooze", maxPlaceholder), actSnooze,
		slack.NewOptionBlockObject(snooze30m, plain("30 minutes", maxOptionText), nil),
		slack.NewOptionBlockObject(snooze2h, plain("2 hours", maxOptionText), nil),
		slack.NewOptionBlockObject(snoozeTomorrow, plain("Tomorrow 09:00", maxOptionText), nil),
	)
	escalate := button(actEscalate, "Escalate", t).WithConfirm(slack.NewConfirmationBlockObject(
		plain("Escalate "+t.ID+"?", 100),
		plain("This posts the ticket to the escalation channel and mentions the department leads.", 300),
		plain("Escalate", 30), plain("Cancel", 30)))
	reassign := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Reassign", maxPlaceholder), actReassign)
	resolve := button(actResolve, "Resolve…", t)
	switch t.State {
	case orderbot.StateClaimed:
		return []slack.BlockElement{button(actRelease, "Release", t), snooze, escalate, reassign, resolve.WithStyle(slack.StylePrimary)}
	case orderbot.StateSnoozed:
		return []slack.BlockElement{button(actClaim, "Claim", t).WithStyle(slack.StylePrimary), reassign, escalate, resolve}
	}
	return []slack.BlockElement{button(actClaim, "Claim", t).WithStyle(slack.StylePrimary), snooze, escalate, reassign, resolve}
}

// resolveModal is the modal the Resolve button opens: the kind's resolution codes
// and a note. The private metadata says which ticket and card it is for.
type resolveMeta struct {
	Ticket  string `json:"t"`
	Version int64  `json:"v"`
	Kind    string `json:"k"`
	Channel string `json:"c,omitempty"`
	User    string `json:"u,omitempty"`
}

func (c *cards) resolveModal(t orderbot.Ticket, meta resolveMeta) slack.ModalViewRequest {
	spec, _ := orderbot.Spec(t.Kind)
	codes := spec.Resolutions
	if len(codes) == 0 {
		codes = []string{"other"}
	}
	opts := make([]*slack.OptionBlockObject, 0, len(codes))
	for i, code := range codes {
		if i == maxOptions {
			break
		}
		opts = append(opts, slack.NewOptionBlockObject(clip(code, maxOptionValue), plain(humanCode(code), maxOptionText), nil))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a resolution", maxPlaceholder), actionCode, opts...)
	note := slack.NewPlainTextInputBlockElement(plain("What was done, for the next person", maxPlaceholder), actionNote).
		WithMultiline(true).WithMaxLength(maxNoteChars)
	noteBlock := slack.NewInputBlock(blockNote, plain("Note", 2000), nil, note)
	noteBlock.Optional = true
	pm, _ := json.Marshal(meta)
	intro := fmt.Sprintf("*%s* %s: %s", esc(t.ID), esc(kindTitle(t.Kind)), esc(oneLine(t.Subject)))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(clip("Resolve "+t.ID, maxModalTitle), maxModalTitle),
		Submit:          plain("Resolve", maxModalTitle),
		Close:           plain("Cancel", maxModalTitle),
		CallbackID:      callbackResolve,
		PrivateMetadata: clip(string(pm), maxPrivateMeta),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(md(intro, maxSectionText), nil, nil),
			slack.NewInputBlock(blockCode, plain("Resolution", 2000), nil, sel),
			noteBlock,
		}},
	}
}

// noticeModal replaces a modal's content with a sentence (the ticket cannot be
// resolved, or the user may not).
func noticeModal(title, text string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain(clip(title, maxModalTitle), maxModalTitle),
		Close:  plain("Close", maxModalTitle),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(md(text, maxSectionText), nil, nil)}},
	}
}

// flappingMark is the state suffix of a flapping active ticket.
func flappingMark(t orderbot.Ticket) string {
	if t.Flapping && t.State.Active() {
		return " · :repeat: flapping"
	}
	return ""
}

// historyLine is the thread reply for one recorded change: who did what. It
// returns "" for changes the card alone shows.
func (c *cards) historyLine(change, actor, detail string, t orderbot.Ticket) string {
	who := mention(actor)
	switch change {
	case "claimed":
		return fmt.Sprintf(":raising_hand: %s claimed the ticket.", who)
	case "released":
		return fmt.Sprintf(":wave: %s released the ticket.", who)
	case "reassigned":
		if t.Owner != "" && t.Owner != actor {
			return fmt.Sprintf(":arrow_right: %s assigned the ticket to %s.", who, mention(t.Owner))
		}
		return fmt.Sprintf(":arrow_right: %s reassigned the ticket.", who)
	case "snoozed":
		if !t.SnoozedUntil.IsZero() && t.State == orderbot.StateSnoozed {
			return fmt.Sprintf(":zzz: %s snoozed the ticket until %s.", who, slackDate(t.SnoozedUntil, c.loc))
		}
		return fmt.Sprintf(":zzz: %s snoozed the ticket.", who)
	case "woken":
		return ":alarm_clock: The snooze ended; the ticket needs attention again."
	case "escalated":
		return fmt.Sprintf(":rotating_light: %s escalated the ticket.", who)
	case "resolved":
		line := fmt.Sprintf(":white_check_mark: %s resolved the ticket", who)
		if t.Resolution != nil && t.Resolution.Code != "" {
			line += ": *" + esc(humanCode(t.Resolution.Code)) + "*"
			if n := strings.TrimSpace(t.Resolution.Note); n != "" {
				line += "\n>" + strings.ReplaceAll(clip(esc(n), 2500), "\n", "\n>")
			}
		}
		return line + "."
	case "auto_resolved":
		return ":sparkles: Resolved automatically: a later check showed the condition cleared."
	case "reopened":
		if actor != "" && actor != "orderbot" {
			return fmt.Sprintf(":leftwards_arrow_with_hook: %s reopened the ticket.", who)
		}
		return ":leftwards_arrow_with_hook: Reopened: the condition came back."
	case "noted":
		if detail == "" {
			return ""
		}
		return fmt.Sprintf(":memo: %s: %s", who, clip(esc(detail), 2500))
	case "updated":
		// Severity, stage and department changes are worth a line; new details
		// alone only refresh the card.
		var keep []string
		for _, part := range strings.Split(detail, "; ") {
			if part != "" && part != "details changed" {
				keep = append(keep, esc(part))
			}
		}
		if len(keep) == 0 {
			return ""
		}
		return ":pencil2: Updated: " + strings.Join(keep, "; ") + "."
	}
	return ""
}

// escalationReply is the thread reply of an escalation step.
func (c *cards) escalationReply(t orderbot.Ticket, clock string, step int, action EscalationAction, leads []string, escChannel string) string {
	what := clockTarget(clock)
	switch action {
	case EscalateMentionHere:
		return fmt.Sprintf(":rotating_light: <!here> %s for %s missed (escalation step %d).", what, esc(t.ID), step+1)
	case EscalatePostChannel:
		if escChannel == "" {
			return fmt.Sprintf(":rotating_light: %s missed (escalation step %d); no escalation channel is configured.", what, step+1)
		}
		return fmt.Sprintf(":rotating_light: %s missed (escalation step %d): posted to %s.", what, step+1, channelLink(escChannel))
	}
	who := mentions(leads)
	if who == "" {
		who = "No leads are configured for " + esc(t.Department) + "."
	}
	return fmt.Sprintf(":rotating_light: %s %s missed (escalation step %d). Owner: %s.", who, what, step+1, mention(t.Owner))
}

func clockTarget(clock string) string {
	switch clock {
	case "ack":
		return "Claim target"
	case "resolve":
		return "Resolve target"
	}
	return "SLA target"
}

func mentions(ids []string) string {
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		if strings.HasPrefix(id, "S") {
			parts = append(parts, mentionGroup(id))
		} else {
			parts = append(parts, mention(id))
		}
	}
	return strings.Join(parts, " ")
}

// escalationPost is the message in the escalation channel for an escalated
// ticket (an SLA step or the Escalate button).
func (c *cards) escalationPost(t orderbot.Ticket, reason string, cardChannel string, leads []string) message {
	head := fmt.Sprintf(":rotating_light: %s %s: %s", esc(t.ID), esc(kindTitle(t.Kind)), esc(oneLine(t.Subject)))
	body := fmt.Sprintf("%s\n%s · %s · owner %s · card in %s", reason, sevEmoji(t.Severity)+" "+esc(string(t.Severity)),
		stateLabel(t.State), mention(t.Owner), channelLink(cardChannel))
	if who := mentions(leads); who != "" {
		body += "\nLeads: " + who
	}
	if s := oneLine(t.Summary); s != "" {
		body += "\n>" + clip(esc(s), 1000)
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(md(head+"\n"+body, maxSectionText), nil, nil),
	}
	return message{Text: clip(esc(fmt.Sprintf("Escalated: %s %s — %s", t.ID, kindTitle(t.Kind), oneLine(t.Subject))), maxFallbackText), Blocks: blocks}
}

// stormView is what a storm summary shows.
type stormView struct {
	Kind      orderbot.Kind
	Total     int64
	Carded    int // tickets of the kind that got their own card before the storm
	Breached  int64
	Started   time.Time
	Last      time.Time
	Top       []subjectCount
	Severity  orderbot.Severity
	Dept      string
	Threshold int
	AtRisk    []orderbot.Money // summed over the folded tickets, per currency
}

type subjectCount struct {
	Subject string
	Count   int64
}

// stormCard is the one summary card that stands in for many new tickets of one
// kind in one channel.
func (c *cards) stormCard(v stormView) message {
	title := kindTitle(v.Kind)
	head := fmt.Sprintf(":cyclone: Storm: %s", title)
	intro := fmt.Sprintf("*%d* more new *%s* tickets since %s (last %s). More than %d arrived within the storm window "+
		"(%d have cards of their own), so the rest are summarised here instead of one card each. "+
		"Every ticket still exists: `%s tickets kind:%s` lists them.",
		v.Total, esc(title), slackDate(v.Started, c.loc), slackDate(v.Last, c.loc), v.Threshold, v.Carded, esc(c.command), esc(string(v.Kind)))
	fields := []*slack.TextBlockObject{
		md("*Kind*\n"+esc(string(v.Kind)), maxFieldText),
		md("*Severity*\n"+sevEmoji(v.Severity)+" "+esc(string(v.Severity)), maxFieldText),
		md("*Department*\n"+esc(v.Dept), maxFieldText),
		md("*Summarised*\n"+strconv.FormatInt(v.Total, 10), maxFieldText),
		md("*SLA missed*\n"+strconv.FormatInt(v.Breached, 10), maxFieldText),
	}
	if risk := orderbot.JoinMoney(v.AtRisk, " + "); risk != "" {
		fields = append(fields, md("*At risk*\n"+esc(risk), maxFieldText))
	}
	var top strings.Builder
	top.WriteString("*Top subjects*")
	for i, s := range v.Top {
		if i == maxTopSubjects {
			break
		}
		fmt.Fprintf(&top, "\n• %s", clip(esc(oneLine(s.Subject)), 150))
		if s.Count > 1 {
			fmt.Fprintf(&top, " ×%d", s.Count)
		}
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(head, maxHeaderText)),
		slack.NewSectionBlock(md(intro, maxSectionText), nil, nil),
		slack.NewSectionBlock(nil, fields, nil),
	}
	if len(v.Top) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(md(top.String(), maxSectionText), nil, nil))
	}
	text := clip(esc(fmt.Sprintf("Storm: %d more new %s tickets (%s)", v.Total, title, v.Kind)), maxFallbackText)
	return message{Text: text, Blocks: fitBlocks(blocks, maxBlocks)}
}

// ticketLine is one ticket in a list.
func (c *cards) ticketLine(t orderbot.Ticket, now time.Time) string {
	line := fmt.Sprintf("%s *%s* %s: %s · %s", sevEmoji(t.Severity), esc(t.ID), esc(kindTitle(t.Kind)),
		clip(esc(oneLine(t.Subject)), 80), stateLabel(t.State))
	if t.AtRisk.Minor != 0 {
		line += " · " + esc(t.AtRisk.String()) + " at risk"
	}
	if t.Owner != "" {
		line += " · " + mention(t.Owner)
	}
	switch {
	case t.State == orderbot.StateOpen && !t.AckDue.IsZero():
		if t.AckDue.After(now) {
			line += " · claim within " + human(t.AckDue.Sub(now))
		} else {
			line += " · :rotating_light: claim overdue"
		}
	case t.State.Active() && t.State != orderbot.StateSnoozed && !t.ResolveDue.IsZero():
		if t.ResolveDue.After(now) {
			line += " · resolve within " + human(t.ResolveDue.Sub(now))
		} else {
			line += " · :rotating_light: resolve overdue"
		}
	}
	return line
}

// ticketList answers /ob tickets.
func (c *cards) ticketList(title string, ts []orderbot.Ticket, more bool, now time.Time) message {
	blocks := []slack.Block{slack.NewHeaderBlock(plain(title, maxHeaderText))}
	if len(ts) == 0 {
		blocks = append(blocks, slack.NewSectionBlock(md("No tickets match.", maxSectionText), nil, nil))
		return message{Text: clip(esc(title)+": none", maxFallbackText), Blocks: blocks}
	}
	var sb strings.Builder
	for i, t := range ts {
		if i == maxListedTickets {
			more = true
			break
		}
		line := c.ticketLine(t, now)
		if sb.Len()+len(line)+1 > maxSectionText-10 {
			blocks = append(blocks, slack.NewSectionBlock(md(sb.String(), maxSectionText), nil, nil))
			sb.Reset()
		}
		if sb.Len() > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(line)
	}
	if sb.Len() > 0 {
		blocks = append(blocks, slack.NewSectionBlock(md(sb.String(), maxSectionText), nil, nil))
	}
	if more {
		blocks = append(blocks, slack.NewContextBlock("", md("Showing the first "+strconv.Itoa(min(len(ts), maxListedTickets))+
			"; narrow the list with `dept:` or `kind:`.", maxSectionText)))
	}
	return message{Text: clip(esc(fmt.Sprintf("%s: %d tickets", title, len(ts))), maxFallbackText), Blocks: fitBlocks(blocks, maxBlocks)}
}

// orderView answers /ob order: the order, its payments, every system side by
// side (see orderview.go), every parcel's checkpoints and the tickets, with
// the customer's contact data masked.
func (c *cards) orderView(v orderbot.OrderView, now time.Time) message {
	o := v.Order
	name := o.Name
	if name == "" {
		name = o.ID
	}
	blocks := []slack.Block{slack.NewHeaderBlock(plain(fmt.Sprintf(":package: Order %s (%s)", esc(name), esc(o.Source)), maxHeaderText))}
	fields := []*slack.TextBlockObject{
		md("*Status*\n"+esc(string(o.Status)), maxFieldText),
		md("*Payment*\n"+esc(string(o.Financial))+paymentMethod(o.PaymentMethod), maxFieldText),
		md("*Fulfilment*\n"+esc(string(o.Fulfillment)), maxFieldText),
		md("*Total*\n"+esc(o.Total.String())+refunded(o.Refunded), maxFieldText),
		md("*Customer*\n"+customerLine(o.Customer), maxFieldText),
		md("*Ship to*\n"+orDash(esc(orderbot.MaskAddress(o.ShippingAddress))), maxFieldText),
		md("*Created*\n"+slackDate(o.CreatedAt, c.loc), maxFieldText),
		md("*Paid*\n"+slackDate(o.PaidAt, c.loc), maxFieldText),
		md("*Shipped*\n"+slackDate(o.ShippedAt, c.loc), maxFieldText),
		md("*Ship by*\n"+slackDate(o.ShipBy, c.loc), maxFieldText),
	}
	blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	if len(o.Lines) > 0 {
		var sb strings.Builder
		sb.WriteString("*Items*")
		for i, l := range o.Lines {
			if i == 15 {
				fmt.Fprintf(&sb, "\n… and %d more", len(o.Lines)-15)
				break
			}
			fmt.Fprintf(&sb, "\n• `%s` %s ×%d", esc(l.SKU), clip(esc(oneLine(l.Title)), 80), l.Quantity)
			if l.Fulfilled > 0 {
				fmt.Fprintf(&sb, " (%d shipped)", l.Fulfilled)
			}
		}
		blocks = append(blocks, slack.NewSectionBlock(md(sb.String(), maxSectionText), nil, nil))
	}
	var pay strings.Builder
	pay.WriteString("*Payments*")
	if len(v.Payments) == 0 {
		pay.WriteString("\nnone recorded at the provider")
	}
	for i, p := range v.Payments {
		if i == 10 {
			break
		}
		fmt.Fprintf(&pay, "\n• %s `%s` %s %s, %s", esc(p.Provider), esc(p.ID), esc(string(p.Status)), esc(p.Amount.String()), slackDate(p.CreatedAt, c.loc))
		if r := p.RefundedMinor(); r > 0 {
			fmt.Fprintf(&pay, ", refunded %s", esc(orderbot.Money{Minor: r, Currency: p.Amount.Currency}.String()))
		}
	}
	blocks = append(blocks, slack.NewSectionBlock(md(pay.String(), maxSectionText), nil, nil))
	blocks = append(blocks, c.systemsBlocks(v)...)
	blocks = append(blocks, c.parcelBlocks(v)...)
	var tk strings.Builder
	tk.WriteString("*Tickets*")
	if len(v.Tickets) == 0 {
		tk.WriteString("\nnone")
	}
	for i, t := range v.Tickets {
		if i == 10 {
			break
		}
		tk.WriteString("\n" + c.ticketLine(t, now))
	}
	blocks = append(blocks, slack.NewSectionBlock(md(tk.String(), maxSectionText), nil, nil))
	if o.URL != "" {
		if _, ok := expandLink(o.URL, nil); ok {
			blocks = append(blocks, slack.NewContextBlock("", md(":link: "+link(o.URL, "Open in "+o.Source), maxSectionText)))
		}
	}
	text := clip(esc(fmt.Sprintf("Order %s: %s, %s, %s", name, o.Status, o.Financial, o.Fulfillment)), maxFallbackText)
	return message{Text: text, Blocks: fitBlocks(blocks, maxBlocks)}
}

func paymentMethod(m orderbot.PaymentMethod) string {
	if m == "" {
		return ""
	}
	return " (" + esc(string(m)) + ")"
}

func refunded(m orderbot.Money) string {
	if m.Minor == 0 {
		return ""
	}
	return ", refunded " + esc(m.String())
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// customerLine shows the buyer with phone and email masked; the name is shown
// (staff need it to talk to the customer) but escaped.
func customerLine(cu orderbot.Customer) string {
	parts := []string{}
	if n := oneLine(cu.Name); n != "" {
		parts = append(parts, clip(esc(n), 100))
	}
	if cu.Phone != "" {
		parts = append(parts, esc(orderbot.MaskPhone(cu.Phone)))
	}
	if cu.Email != "" {
		parts = append(parts, esc(orderbot.MaskEmail(cu.Email)))
	}
	return orDash(strings.Join(parts, "\n"))
}

// note renders a one-sentence reply.
func note(text string) message {
	return message{Text: clip(text, maxFallbackText), Blocks: []slack.Block{slack.NewSectionBlock(md(text, maxSectionText), nil, nil)}}
}

// usage is the help text of the slash command.
func (c *cards) usage(prefix string) message {
	cmd := esc(c.command)
	var kinds []string
	for _, k := range orderbot.SortedKinds() {
		if s, ok := orderbot.Spec(k); ok && s.Manual {
			kinds = append(kinds, "`"+string(k)+"`")
		}
	}
	text := fmt.Sprintf("*%s* — orderbot tickets and orders\n"+
		"• `%s order &lt;id|tracking|phone|email&gt;` — one view of an order: payments, tracking, tickets\n"+
		"• `%s ticket &lt;id&gt;` — show a ticket with its buttons\n"+
		"• `%s tickets [mine|open|breached|top|dept:&lt;name&gt;|kind:&lt;kind&gt;]` — list tickets\n"+
		"• `%s open &lt;order&gt; &lt;kind&gt; [note]` — open a ticket by hand, e.g. %s\n"+
		"• `%s stats [today|7d|30d|week|month] [by sku|courier|channel|region|dept|kind|stage|source]` — tickets opened and resolved against the period before, time to claim and resolve, breaches, money at risk\n"+
		"• `%s kb &lt;kind&gt;` — how tickets of a kind were resolved before\n"+
		"• `%s help` — this text", cmd, cmd, cmd, cmd, cmd, strings.Join(kinds, ", "), cmd, cmd, cmd)
	if prefix != "" {
		text = prefix + "\n\n" + text
	}
	return message{Text: "Usage: " + cmd + " order|ticket|tickets|open|stats|kb|help",
		Blocks: []slack.Block{slack.NewSectionBlock(md(text, maxSectionText), nil, nil)}}
}

// fitBlocks is the last guard before a post: it clips every text object of the
// block types the bot uses and keeps at most max blocks, keeping the actions
// block (the buttons) and the final context line when it must drop some.
func fitBlocks(blocks []slack.Block, max int) []slack.Block {
	for _, b := range blocks {
		fitBlock(b)
	}
	if len(blocks) <= max {
		return blocks
	}
	var keepTail []slack.Block
	var body []slack.Block
	for i, b := range blocks {
		if _, ok := b.(*slack.ActionBlock); ok || i == len(blocks)-1 {
			keepTail = append(keepTail, b)
			continue
		}
		body = append(body, b)
	}
	room := max - len(keepTail) - 1
	if room < 0 {
		room = 0
	}
	dropped := len(body) - room
	out := append([]slack.Block{}, body[:room]...)
	out = append(out, slack.NewContextBlock("", md(fmt.Sprintf("… %d more blocks left out to fit Slack's limits", dropped), maxSectionText)))
	out = append(out, keepTail...)
	if len(out) > max {
		out = out[:max]
	}
	return out
}

func fitText(t *slack.TextBlockObject, max int) {
	if t == nil {
		return
	}
	t.Text = clip(t.Text, max)
	if t.Text == "" {
		t.Text = " "
	}
}

func fitBlock(b slack.Block) {
	switch x := b.(type) {
	case *slack.HeaderBlock:
		fitText(x.Text, maxHeaderText)
		x.BlockID = clip(x.BlockID, maxBlockID)
	case *slack.SectionBlock:
		fitText(x.Text, maxSectionText)
		if len(x.Fields) > maxFields {
			x.Fields = x.Fields[:maxFields]
		}
		for _, f := range x.Fields {
			fitText(f, maxFieldText)
		}
		x.BlockID = clip(x.BlockID, maxBlockID)
	case *slack.ContextBlock:
		if len(x.ContextElements.Elements) > maxContextElems {
			x.ContextElements.Elements = x.ContextElements.Elements[:maxContextElems]
		}
		for _, e := range x.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				fitText(t, maxSectionText)
			}
		}
		x.BlockID = clip(x.BlockID, maxBlockID)
	case *slack.ActionBlock:
		if x.Elements != nil && len(x.Elements.ElementSet) > maxActionsElems {
			x.Elements.ElementSet = x.Elements.ElementSet[:maxActionsElems]
		}
		if x.Elements != nil {
			for _, e := range x.Elements.ElementSet {
				switch el := e.(type) {
				case *slack.ButtonBlockElement:
					fitText(el.Text, maxButtonText)
					el.Value = clip(el.Value, maxButtonValue)
				case *slack.SelectBlockElement:
					fitText(el.Placeholder, maxPlaceholder)
					if len(el.Options) > maxOptions {
						el.Options = el.Options[:maxOptions]
					}
					for _, o := range el.Options {
						fitText(o.Text, maxOptionText)
					}
				}
			}
		}
		x.BlockID = clip(x.BlockID, maxBlockID)
	}
}

// hasFact reports whether facts has one with this label.
func hasFact(facts []orderbot.Fact, label string) bool {
	for _, f := range facts {
		if f.Label == label {
			return true
		}
	}
	return false
}

// notifyMeta is the Notify customer modal's private metadata.
type notifyMeta struct {
	Ticket string `json:"t"`
	User   string `json:"u,omitempty"`
}

// channelLabel names a notice channel for staff.
func channelLabel(ch string) string {
	if ch == notify.ChannelEmail {
		return "Email"
	}
	return "SMS"
}

// notifyModal shows the manual notice of a ticket as each channel would send
// it, with the channel to choose; when no notice can go out, or one already
// did, it says so and offers no Send button.
func (c *cards) notifyModal(p notify.Preview, meta notifyMeta) slack.ModalViewRequest {
	t := p.Ticket
	intro := fmt.Sprintf("*%s* %s: %s", esc(t.ID), esc(kindTitle(t.Kind)), esc(oneLine(t.Subject)))
	blocks := []slack.Block{slack.NewSectionBlock(md(intro, maxSectionText), nil, nil)}
	view := slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      plain("Notify customer", maxModalTitle),
		Close:      plain("Cancel", maxModalTitle),
		CallbackID: callbackNotify,
	}
	switch {
	case p.Existing != nil:
		line := fmt.Sprintf("A manual notice about this order was already made (%s, %s to %s). Customers get one notice per order, problem and message, so another is not sent.",
			esc(string(p.Existing.State)), esc(channelLabel(p.Existing.Channel)), esc(p.Existing.ToMasked))
		if p.Existing.Channel == "" {
			line = "A manual notice about this order was already tried: " + esc(p.Existing.Detail)
		}
		blocks = append(blocks, slack.NewSectionBlock(md(line, maxSectionText), nil, nil))
	case len(p.Channels) == 0:
		blocks = append(blocks, slack.NewSectionBlock(md("No notice can be sent: "+esc(p.Problem)+".", maxSectionText), nil, nil))
	default:
		opts := make([]*slack.OptionBlockObject, 0, len(p.Channels))
		for _, ch := range p.Channels {
			label := channelLabel(ch.Channel) + " to " + ch.To
			if ch.Channel == notify.ChannelSMS && ch.Segments > 0 {
				label += fmt.Sprintf(" (%d part", ch.Segments)
				if ch.Segments > 1 {
					label += "s"
				}
				label += ")"
			}
			opts = append(opts, slack.NewOptionBlockObject(ch.Channel, plain(label, maxOptionText), nil))
		}
		radio := slack.NewRadioButtonsBlockElement(actionChannel, opts...)
		radio.InitialOption = opts[0]
		blocks = append(blocks, slack.NewInputBlock(blockChannel, plain("Send by", 2000), nil, radio))
		for _, ch := range p.Channels {
			var b strings.Builder
			fmt.Fprintf(&b, "*%s preview*", channelLabel(ch.Channel))
			if ch.TemplateCode != "" {
				fmt.Fprintf(&b, " (approved template %s)", esc(ch.TemplateCode))
			}
			if ch.Subject != "" {
				fmt.Fprintf(&b, "\n*Subject:* %s", esc(ch.Subject))
			}
			b.WriteString("\n>" + strings.ReplaceAll(esc(clip(ch.Body, 2500)), "\n", "\n>"))
			blocks = append(blocks, slack.NewSectionBlock(md(b.String(), maxSectionText), nil, nil))
		}
		view.Submit = plain("Send", maxModalTitle)
	}
	if len(p.Notices) > 0 {
		els := make([]slack.MixedElement, 0, maxContextElems)
		for i, n := range p.Notices {
			if i == maxContextElems {
				break
			}
			line := fmt.Sprintf("%s notice: %s", humanCode(n.Event), n.State)
			if n.ToMasked != "" {
				line += fmt.Sprintf(" (%s to %s)", channelLabel(n.Channel), n.ToMasked)
			}
			els = append(els, md(esc(line), maxSectionText))
		}
		blocks = append(blocks, slack.NewContextBlock("", els...))
	}
	pm, _ := json.Marshal(meta)
	view.PrivateMetadata = clip(string(pm), maxPrivateMeta)
	view.Blocks = slack.Blocks{BlockSet: fitBlocks(blocks, maxModalBlocks)}
	return view
}

// noticeReply is the thread line of one notice change (a ChangeNotice outbox
// entry): what happened, to whom (masked), and the provider's answer. A notice
// of unknown outcome carries Resend and Mark sent buttons.
func (c *cards) noticeReply(ticketID string, p map[string]string) message {
	what := "Customer notice"
	switch p["event"] {
	case "open":
		what += " (problem found)"
	case "resolve":
		what += " (problem solved)"
	case "breach":
		what += " (delay)"
	case "manual":
		what += " (sent by hand)"
	}
	to := ""
	if p["to"] != "" {
		to = fmt.Sprintf(" by %s to %s", channelLabel(p["channel"]), esc(p["to"]))
	}
	detail := esc(clip(p["detail"], 1500))
	var line string
	actor := p["actor"]
	byStaff := actor != "" && actor != "orderbot"
	switch p["state"] {
	case "queued":
		switch {
		case byStaff && strings.Contains(p["detail"], "sent again"):
			line = fmt.Sprintf(":repeat: %s chose to send the %s again%s.", mention(actor), strings.ToLower(what), to)
		case byStaff:
			line = fmt.Sprintf(":envelope: %s is sending a %s%s.", mention(actor), strings.ToLower(what), to)
		default:
			line = fmt.Sprintf(":envelope: %s queued%s.", what, to)
		}
		if detail != "" && !strings.Contains(p["detail"], "sent again") {
			line += " " + detail
		}
	case "sent":
		if byStaff {
			line = fmt.Sprintf(":white_check_mark: %s marked the %s%s as sent.", mention(actor), strings.ToLower(what), to)
			break
		}
		line = fmt.Sprintf(":outbox_tray: %s sent%s. %s", what, to, detail)
		if p["pid"] != "" {
			line += fmt.Sprintf(" Provider id `%s`", esc(clip(p["pid"], 100)))
			if p["pstat"] != "" {
				line += ", status " + esc(clip(p["pstat"], 40))
			}
			line += "."
		}
	case "failed":
		line = fmt.Sprintf(":warning: %s%s was not sent: %s", what, to, detail)
	case "skipped":
		line = fmt.Sprintf(":no_entry_sign: %s", detail)
	case "batch":
		line = ":envelope: " + detail
	case "unknown":
		line = fmt.Sprintf(":grey_question: %s%s: outcome unknown. %s", what, to, detail)
		v := ticketID + "|" + p["notice"]
		resend := slack.NewButtonBlockElement(actNoticeResend, v, plain("Resend", maxButtonText)).
			WithConfirm(slack.NewConfirmationBlockObject(plain("Send the notice again?", 100),
				plain("Only if you checked that the customer did not get it: they may receive it twice.", 300),
				plain("Resend", 30), plain("Cancel", 30)))
		mark := slack.NewButtonBlockElement(actNoticeMarkSent, v, plain("Mark sent", maxButtonText))
		return message{Text: clip(line, maxFallbackText), Blocks: []slack.Block{
			slack.NewSectionBlock(md(line, maxSectionText), nil, nil),
			slack.NewActionBlock(blockID("obn", ticketID, p["notice"]), resend, mark),
		}}
	default:
		line = fmt.Sprintf(":envelope: %s%s: %s. %s", what, to, esc(p["state"]), detail)
	}
	return textMessage(strings.TrimSpace(line))
}

// kbView is the answer to `/ob kb <kind>`: the kind's rule and owner, the
// resolution codes its tickets were closed with (most used first) and the
// latest notes staff left. past is newest-first per the knowledge base, staff
// resolutions before automatic ones.
func (c *cards) kbView(kind orderbot.Kind, past []orderbot.Resolution) message {
	spec, _ := orderbot.Spec(kind)
	set, ok := c.kinds[kind]
	if !ok {
		set = orderbot.KindSettings{Department: spec.Department, Severity: spec.Severity, AckSLA: spec.AckSLA, ResolveSLA: spec.ResolveSLA}
	}
	head := fmt.Sprintf(":books: *%s* (`%s`)\n%s", esc(spec.Title), esc(string(kind)), esc(spec.Rule))
	owner := fmt.Sprintf("Department *%s* · severity %s", esc(set.Department), esc(string(set.Severity)))
	if set.AckSLA > 0 {
		owner += " · claim within " + esc(human(set.AckSLA))
	}
	if set.ResolveSLA > 0 {
		owner += " · resolve within " + esc(human(set.ResolveSLA))
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(md(head, maxSectionText), nil, nil),
		slack.NewContextBlock("", md(owner, maxSectionText)),
	}
	auto := len(past)
	past = staffResolutions(past)
	auto -= len(past)
	// Automatic resolutions are counted apart: they say how often the
	// condition went away by itself, not what anyone did about it.
	autoLine := ""
	if auto > 0 {
		autoLine = fmt.Sprintf(":sparkles: %d more cleared by themselves (auto-resolved, not counted above)", auto)
	}
	if len(past) == 0 {
		text := "No ticket of this kind has been resolved by staff yet."
		if autoLine != "" {
			text += "\n" + autoLine
		}
		blocks = append(blocks, slack.NewSectionBlock(md(text, maxSectionText), nil, nil))
		return message{Text: spec.Title + ": no tickets resolved by staff yet", Blocks: blocks}
	}
	codes, counts := codesByCount(past)
	var lines []string
	for _, code := range codes {
		lines = append(lines, fmt.Sprintf("• %s ×%d", esc(humanCode(code)), counts[code]))
	}
	blocks = append(blocks, slack.NewSectionBlock(md(fmt.Sprintf("*Resolved by staff* (last %d tickets)\n%s", len(past), strings.Join(lines, "\n")), maxSectionText), nil, nil))
	if autoLine != "" {
		blocks = append(blocks, slack.NewContextBlock("", md(autoLine, maxSectionText)))
	}
	notes := make([]orderbot.Resolution, 0, len(past))
	for _, r := range past {
		if strings.TrimSpace(r.Note) != "" && !r.Auto {
			notes = append(notes, r)
		}
	}
	sort.SliceStable(notes, func(i, j int) bool { return notes[i].At.After(notes[j].At) })
	if len(notes) > 5 {
		notes = notes[:5]
	}
	if len(notes) > 0 {
		var nl []string
		for _, r := range notes {
			nl = append(nl, fmt.Sprintf("• %s %s, *%s*: “%s”", slackDate(r.At, c.loc), mention(r.By), esc(humanCode(r.Code)), clip(esc(oneLine(r.Note)), 400)))
		}
		blocks = append(blocks, slack.NewSectionBlock(md("*Latest notes*\n"+strings.Join(nl, "\n"), maxSectionText), nil, nil))
	}
	return message{Text: clip(spec.Title+": "+pastLine(past), maxFallbackText), Blocks: fitBlocks(blocks, maxBlocks)}
}
