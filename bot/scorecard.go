package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/store"
)

// PostScorecard posts a scorecard alert: a courier's or payment channel's
// rate this week against its usual level.
func (b *Bot) PostScorecard(ctx context.Context, channel string, s analytics.Score) error {
	if _, ce := b.api.post(ctx, channel, "", b.cards.scorecardView(s), false); ce != nil {
		return ce.err
	}
	return nil
}

// scorecardView is a scorecard alert.
func (c *cards) scorecardView(s analytics.Score) message {
	what, of := "Courier", "parcels"
	if s.Dim == store.DimChannel {
		what, of = "Payment channel", "payments"
	}
	text := fmt.Sprintf(":warning: *%s %s: %s up to %.1f%%* in the week %s–%s (%d %s tickets over %d %s), "+
		"against a usual %.1f%% (median of the weeks before).",
		what, esc(s.Member), s.Name, 100*s.Rate(), s.Since.In(c.loc).Format("Mon 2 Jan"),
		s.Until.In(c.loc).AddDate(0, 0, -1).Format("Mon 2 Jan"), s.Week.Tickets, esc(kindTitle(s.Kind)), s.Week.Volume, of, 100*s.Baseline)
	var past string
	for i, w := range s.Past {
		if i > 0 {
			past += ", "
		}
		past += fmt.Sprintf("%.1f%% (%d/%d)", 100*w.Rate(), w.Tickets, w.Volume)
	}
	blocks := []slack.Block{slack.NewSectionBlock(md(text, maxSectionText), nil, nil)}
	if past != "" {
		blocks = append(blocks, slack.NewContextBlock("", md("Weeks before, newest first: "+past, maxSectionText)))
	}
	return message{Text: fmt.Sprintf("%s %s: %s up to %.1f%%", what, esc(s.Member), s.Name, 100*s.Rate()), Blocks: blocks}
}
