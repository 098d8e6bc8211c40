package bot

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// commandReply is a slash command's answer in the ack body or on its response URL.
type commandReply struct {
	ResponseType string        `json:"response_type"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
}

func ephemeralReply(m message) commandReply {
	return commandReply{ResponseType: slack.ResponseTypeEphemeral, Text: m.Text, Blocks: m.Blocks}
}

// ticketQuery is a parsed "/ob tickets" filter.
type ticketQuery struct {
	filter store.Filter
	title  string
	// top lists the tickets by money at risk, most first.
	top bool
}

var deptPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)

// parseTicketQuery reads "[mine|open|breached|top|dept:X|kind:X]..." (any
// combination); the error is a sentence for the usage reply.
func (b *Bot) parseTicketQuery(args []string, user string) (ticketQuery, error) {
	q := ticketQuery{filter: store.Filter{Limit: maxListedTickets + 1}}
	var title []string
	for _, a := range args {
		a = strings.ToLower(a)
		switch {
		case a == "mine":
			q.filter.Owner = user
			title = append(title, "mine")
		case a == "open":
			q.filter.State = orderbot.StateOpen
			title = append(title, "open")
		case a == "breached":
			q.filter.Breached = true
			title = append(title, "SLA missed")
		case a == "top":
			q.top = true
			title = append(title, "most money at risk first")
		case strings.HasPrefix(a, "dept:"):
			d := strings.TrimPrefix(a, "dept:")
			if !deptPattern.MatchString(d) || !b.knownDepartment(d) {
				return q, fmt.Errorf("there is no department `%s`", echo(d, 40))
			}
			q.filter.Department = d
			title = append(title, d)
		case strings.HasPrefix(a, "kind:"):
			k := orderbot.Kind(strings.TrimPrefix(a, "kind:"))
			if !k.Known() {
				return q, fmt.Errorf("there is no kind `%s`", echo(string(k), 60))
			}
			q.filter.Kind = k
			title = append(title, string(k))
		default:
			return q, fmt.Errorf("`%s` is not a ticket filter", echo(a, 40))
		}
	}
	if q.top {
		q.filter.Limit = 0 // every match is ranked, then the list is cut
	}
	q.title = "Tickets"
	if len(title) > 0 {
		q.title += ": " + strings.Join(title, ", ")
	} else {
		q.title += ": active"
	}
	return q, nil
}

func (b *Bot) knownDepartment(d string) bool {
	if _, ok := b.opts.Departments[d]; ok {
		return true
	}
	for _, s := range b.opts.Kinds {
		if s.Department == d {
			return true
		}
	}
	return false
}

// dispatchCommand answers a slash command. Help and usage errors are answered in
// the ack; lookups and manual tickets run after the ack and answer through the
// response URL. Every answer is ephemeral.
func (b *Bot) dispatchCommand(c slack.SlashCommand) any {
	// Slack sends &, < and > in command text as entities.
	text := strings.TrimSpace(html.UnescapeString(c.Text))
	args := strings.Fields(text)
	sub := ""
	if len(args) > 0 {
		sub = strings.ToLower(args[0])
		args = args[1:]
	}
	usage := func(prefix string) any { return ephemeralReply(b.cards.usage(prefix)) }
	var work func(ctx context.Context) message
	switch sub {
	case "", "help":
		return usage("")
	case "order":
		if len(args) == 0 {
			return usage(":warning: `order` needs an order id, tracking number, phone or email.")
		}
		query := strings.Join(args, " ")
		work = func(ctx context.Context) message { return b.commandOrder(ctx, query) }
	case "ticket":
		if len(args) != 1 || !ticketIDPattern.MatchString(strings.ToUpper(args[0])) {
			return usage(":warning: `ticket` needs one ticket id such as T1042.")
		}
		id := strings.ToUpper(args[0])
		work = func(ctx context.Context) message { return b.commandTicket(ctx, id) }
	case "tickets":
		q, err := b.parseTicketQuery(args, c.UserID)
		if err != nil {
			return usage(":warning: " + sentence(err.Error()))
		}
		work = func(ctx context.Context) message { return b.commandTickets(ctx, q) }
	case "open":
		if len(args) < 2 {
			return usage(":warning: `open` needs an order and a kind.")
		}
		kind := orderbot.Kind(strings.ToLower(args[1]))
		if !kind.Known() {
			return usage(fmt.Sprintf(":warning: There is no kind `%s`.", echo(args[1], 60)))
		}
		orderRef, noteText := args[0], strings.Join(args[2:], " ")
		work = func(ctx context.Context) message { return b.commandOpen(ctx, c.UserID, orderRef, kind, noteText) }
	case "stats":
		q, err := parseStatsQuery(args)
		if err != nil {
			return usage(":warning: " + err.Error())
		}
		work = func(ctx context.Context) message { return b.commandStats(ctx, q) }
	case "kb":
		if len(args) != 1 {
			return usage(":warning: `kb` needs one kind such as payment.duplicate.")
		}
		kind := orderbot.Kind(strings.ToLower(args[0]))
		if !kind.Known() {
			return usage(fmt.Sprintf(":warning: There is no kind `%s`.", echo(args[0], 60)))
		}
		work = func(ctx context.Context) message { return b.commandKB(ctx, kind) }
	default:
		return usage(fmt.Sprintf(":warning: I don't know `%s`.", echo(sub, 40)))
	}
	ok := b.spawn("command."+sub, func(ctx context.Context) {
		m := work(ctx)
		if c.ResponseURL == "" {
			if ce := b.api.ephemeral(ctx, c.ChannelID, c.UserID, m); ce != nil {
				b.log.Warn("slash command reply failed", slog.String("command", sub), slog.String("error", ce.err.Error()))
			}
			return
		}
		if ce := b.api.respond(ctx, c.ResponseURL, m, false); ce != nil {
			b.log.Warn("slash command reply failed", slog.String("command", sub), slog.String("error", ce.err.Error()))
		}
	})
	if !ok {
		return ephemeralReply(note("orderbot is busy right now; please try again in a moment."))
	}
	return nil
}

func (b *Bot) commandOrder(ctx context.Context, query string) message {
	if b.dir == nil {
		return note("Order lookup is not available in this deployment.")
	}
	v, err := b.dir.FindOrder(ctx, query)
	if err != nil {
		if orderbot.IsKind(err, orderbot.KindNotFound) {
			// The query may be a phone or an email: never echo it back.
			return note("No order matches that id, tracking number, phone or email.")
		}
		b.log.Warn("order lookup failed", slog.String("error", err.Error()))
		return note(userText(orderbot.UserMessage(err)))
	}
	return b.cards.orderView(v, b.opts.Clock())
}

func (b *Bot) commandTicket(ctx context.Context, id string) message {
	t, err := b.st.Get(ctx, id)
	if err != nil {
		return note(userText(orderbot.UserMessage(err)))
	}
	m := b.cards.ticketCard(cardView{T: t, Now: b.opts.Clock(), Past: b.pastResolutions(ctx, t.Kind)})
	hist, err := b.st.Audit(ctx, t.ID, 6)
	if err == nil && len(hist) > 0 {
		var lines []string
		for _, h := range hist {
			line := fmt.Sprintf("%s %s %s", slackDate(h.At, b.opts.Location), mention(h.Actor), esc(string(h.Action)))
			if h.Detail != "" {
				line += ": " + clip(esc(oneLine(h.Detail)), 200)
			}
			lines = append(lines, line)
		}
		hb := slack.NewContextBlock("", md("*History*\n"+strings.Join(lines, "\n"), maxSectionText))
		m.Blocks = fitBlocks(append(m.Blocks, hb), maxBlocks)
	}
	return m
}

func (b *Bot) commandTickets(ctx context.Context, q ticketQuery) message {
	ts, err := b.st.List(ctx, q.filter)
	if err != nil {
		return note(userText(orderbot.UserMessage(err)))
	}
	if q.top {
		rankByAtRisk(ts)
	}
	more := len(ts) > maxListedTickets
	if more {
		ts = ts[:maxListedTickets]
	}
	return b.cards.ticketList(q.title, ts, more, b.opts.Clock())
}

func (b *Bot) commandOpen(ctx context.Context, user, orderRef string, kind orderbot.Kind, noteText string) message {
	if b.opener == nil {
		return note("Opening tickets by hand is not available in this deployment.")
	}
	dept := ""
	if s, ok := b.opts.Kinds[kind]; ok {
		dept = s.Department
		if !s.Enabled {
			return note(fmt.Sprintf("The kind `%s` is disabled.", esc(string(kind))))
		}
	}
	if err := b.authz.check(ctx, user, dept); err != nil {
		return note(userText(orderbot.UserMessage(err)))
	}
	t, err := b.opener.OpenManual(ctx, orderRef, kind, noteText, user)
	if err != nil {
		if !orderbot.IsKind(err, orderbot.KindNotFound) && !orderbot.IsKind(err, orderbot.KindInvalid) && !orderbot.IsKind(err, orderbot.KindConflict) {
			b.log.Warn("manual ticket failed", slog.String("kind", string(kind)), slog.String("error", err.Error()))
		}
		return note(userText(orderbot.UserMessage(err)))
	}
	where := "its department's channel"
	if ch, err := b.opts.channelFor(t.Department); err == nil {
		where = channelLink(ch)
	}
	return note(fmt.Sprintf(":white_check_mark: %s %s for %s is open; its card is in %s.", esc(t.ID), esc(kindTitle(t.Kind)), esc(t.Subject), where))
}

// commandKB answers `/ob kb <kind>`: what the kind means, who owns it, and how
// its tickets were resolved before, with the latest notes staff left.
func (b *Bot) commandKB(ctx context.Context, kind orderbot.Kind) message {
	if b.opts.Knowledge == nil {
		return note("The knowledge base is not available in this deployment.")
	}
	past, err := b.opts.Knowledge.PastResolutions(ctx, kind, 200)
	if err != nil {
		b.log.Warn("knowledge base lookup failed", slog.String("kind", string(kind)), slog.String("error", err.Error()))
		return note(userText(orderbot.UserMessage(err)))
	}
	return b.cards.kbView(kind, past)
}

// pastResolutions asks the knowledge base, if any, with a short budget: a slow
// knowledge base must not hold up a card.
func (b *Bot) pastResolutions(ctx context.Context, k orderbot.Kind) []orderbot.Resolution {
	if b.opts.Knowledge == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	rs, err := b.opts.Knowledge.PastResolutions(ctx, k, 20)
	if err != nil {
		b.log.Debug("knowledge base lookup failed", slog.String("kind", string(k)), slog.String("error", err.Error()))
		return nil
	}
	return rs
}
