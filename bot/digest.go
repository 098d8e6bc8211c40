package bot

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/store"
)

// PostDigest posts the daily digest to channel: the day's headline figures
// against the same weekday a week before, top kinds, SKUs and couriers,
// breaches and money at risk, then the chart (a PNG) through Slack's external
// upload flow (files.getUploadURLExternal, the bytes to the upload URL,
// files.completeUploadExternal), which slack-go's UploadFileContext runs.
func (b *Bot) PostDigest(ctx context.Context, channel string, r analytics.Report, chart []byte) error {
	m := b.cards.digestView(r)
	if _, ce := b.api.post(ctx, channel, "", m, false); ce != nil {
		return ce.err
	}
	if len(chart) == 0 {
		return nil
	}
	title := "Tickets opened per day, " + r.Current.Since.In(b.opts.Location).Format("Mon 2 Jan")
	if ce := b.api.upload(ctx, channel, "orderbot-digest-"+r.Current.Since.In(b.opts.Location).Format("2006-01-02")+".png", title, chart); ce != nil {
		return ce.err
	}
	return nil
}

// upload shares a file in a channel through the external upload flow. A retry
// starts the flow again, with a new upload URL.
func (a *slackAPI) upload(ctx context.Context, channel, filename, title string, data []byte) *callError {
	return a.do(ctx, "slack.files.upload", func(ctx context.Context) error {
		_, err := a.c.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader: bytes.NewReader(data), FileSize: len(data), Filename: filename, Title: title, Channel: channel,
		})
		return err
	})
}

// digestView is the digest message.
func (c *cards) digestView(r analytics.Report) message {
	cur, prev := &r.Current, &r.Previous
	day := cur.Since.In(c.loc).Format("Monday 2 January")
	chg := func(a, b int64) string {
		if s := analytics.Change(a, b); s != "" {
			return " (" + s + " on a week before)"
		}
		return ""
	}
	head := fmt.Sprintf(":newspaper: *Daily digest for %s*\n*%d tickets opened*%s · %d resolved, %d by staff and %d automatically%s · *%d missed a target* (%.0f%%)%s",
		esc(day), cur.Opened, chg(cur.Opened, prev.Opened), cur.Resolved(), cur.ResolvedStaff, cur.ResolvedAuto,
		chg(cur.Resolved(), prev.Resolved()), cur.Breached, 100*cur.BreachRate(), chg(cur.Breached, prev.Breached))
	blocks := []slack.Block{slack.NewSectionBlock(md(head, maxSectionText), nil, nil)}
	var lines []string
	lines = append(lines, fmt.Sprintf("Claimed in %s · resolved in %s (median / 90th percentile)", latency(cur.Claim), latency(cur.Resolve)))
	lines = append(lines, "Money at risk on new tickets: "+moneyList(cur.AtRisk)+" · on resolved tickets: "+moneyList(cur.Recovered))
	if cur.NoticesSent+cur.NoticesFailed > 0 {
		lines = append(lines, fmt.Sprintf("Customer notices: %d sent, %d failed", cur.NoticesSent, cur.NoticesFailed))
	}
	blocks = append(blocks, slack.NewSectionBlock(md(strings.Join(lines, "\n"), maxSectionText), nil, nil))
	if cur.Opened > 0 {
		var kinds []string
		for i, g := range cur.ByKind {
			if i == 5 {
				break
			}
			kinds = append(kinds, fmt.Sprintf("• %s ×%d, %d missed a target", esc(kindTitle(orderbot.Kind(g.Name))), g.Opened, g.Breached))
		}
		blocks = append(blocks, section("*Top kinds*", kinds))
		top := func(title, dim string) {
			if l := countLines(cur.Top[dim], nil); len(l) > 0 {
				if len(l) > 5 {
					l = l[:5]
				}
				blocks = append(blocks, section(title, l))
			}
		}
		top("*Top SKUs*", store.DimSKU)
		top("*Top couriers*", store.DimCourier)
	}
	blocks = append(blocks, slack.NewContextBlock("", md("Compared with "+esc(prev.Since.In(c.loc).Format("Monday 2 January"))+". The chart follows.", maxSectionText)))
	return message{Text: fmt.Sprintf("Daily digest for %s: %d tickets opened, %d missed a target", day, cur.Opened, cur.Breached),
		Blocks: fitBlocks(blocks, maxBlocks)}
}

// PostSpike posts a spike alert: the kind, the hour, its count against the
// usual level, and links to the spike's ticket cards (up to 20).
func (b *Bot) PostSpike(ctx context.Context, channel string, s analytics.Spike, tickets []orderbot.Ticket) error {
	var links []string
	for i, t := range tickets {
		if i == 20 {
			links = append(links, fmt.Sprintf("and %d more", len(tickets)-i))
			break
		}
		ch, ts, err := b.st.MessageRef(ctx, t.ID)
		if err != nil || ch == "" {
			links = append(links, esc(t.ID))
			continue
		}
		links = append(links, fmt.Sprintf("<https://slack.com/archives/%s/p%s|%s>", ch, strings.ReplaceAll(ts, ".", ""), esc(t.ID)))
	}
	if _, ce := b.api.post(ctx, channel, "", b.cards.spikeView(s, links), false); ce != nil {
		return ce.err
	}
	return nil
}

// spikeView is a spike alert.
func (c *cards) spikeView(s analytics.Spike, links []string) message {
	at := time.Unix(s.Hour*3600, 0).In(c.loc)
	usual := "its usual level for this hour of the week"
	if !s.Weekly {
		usual = "its recent hourly level (history is still short)"
	}
	what := kindTitle(s.Kind) + " tickets"
	if s.Member != "" {
		// A SKU's or courier's spike counts tickets of every kind.
		what = "tickets for " + s.Dim + " " + s.Member
		if s.Dim == store.DimSKU {
			what = "tickets for SKU " + s.Member
		}
	}
	text := fmt.Sprintf(":rotating_light: *Spike: %d %s* opened %s–%s, against %.1f, %s.",
		s.Count, esc(what), at.Format("Mon 2 Jan 15:04"), at.Add(time.Hour).Format("15:04"), s.Baseline, usual)
	blocks := []slack.Block{slack.NewSectionBlock(md(text, maxSectionText), nil, nil)}
	if len(links) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(md("*Tickets:* "+strings.Join(links, ", "), maxSectionText), nil, nil))
	}
	return message{Text: fmt.Sprintf("Spike: %d %s in an hour", s.Count, esc(what)), Blocks: blocks}
}

// PostOversellForecast warns that a SKU is expected to oversell.
func (b *Bot) PostOversellForecast(ctx context.Context, channel string, f analytics.OversellForecast) error {
	text := fmt.Sprintf(":chart_with_downwards_trend: *%s may oversell in about %s.* It sells about %.0f units an hour and the ERP covers %d more; "+
		"the shop shows %d units more than the ERP (up from %d), so the shop's stock is not following the ERP's. "+
		"Check the stock sync before it happens.", esc(f.SKU), human(f.In), f.Rate, f.Headroom, f.Gap, f.GapBefore)
	m := message{Text: fmt.Sprintf("%s may oversell in about %s", f.SKU, human(f.In)),
		Blocks: []slack.Block{slack.NewSectionBlock(md(text, maxSectionText), nil, nil)}}
	if _, ce := b.api.post(ctx, channel, "", m, false); ce != nil {
		return ce.err
	}
	return nil
}
