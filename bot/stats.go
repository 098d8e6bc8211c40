package bot

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/store"
)

// statsQuery is a parsed `/ob stats [period] [by X]`.
type statsQuery struct {
	period string // one of analytics.PeriodNames
	by     string // "", sku, courier, channel, region, dept, kind, stage, source
}

// statsBreakdowns are the words `by` takes; dimension breakdowns read the
// model's top lists.
var statsBreakdowns = map[string]string{
	"sku": store.DimSKU, "courier": store.DimCourier, "channel": store.DimChannel, "region": store.DimRegion,
	"dept": "", "kind": "", "stage": "", "source": "",
}

func parseStatsQuery(args []string) (statsQuery, error) {
	q := statsQuery{period: "today"}
	bad := fmt.Errorf("`stats` takes a period (%s) and a breakdown (by sku, by courier, by channel, by region, by dept, by kind, by stage, by source)",
		strings.Join(analytics.PeriodNames, ", "))
	for i := 0; i < len(args); i++ {
		a := strings.ToLower(args[i])
		switch {
		case slices.Contains(analytics.PeriodNames, a) && q.period == "today" && i == 0:
			q.period = a
		case a == "by" && i+1 < len(args) && q.by == "":
			w := strings.ToLower(args[i+1])
			if w == "department" {
				w = "dept"
			}
			if _, ok := statsBreakdowns[w]; !ok {
				return q, bad
			}
			q.by = w
			i++
		default:
			return q, bad
		}
	}
	return q, nil
}

// commandStats answers `/ob stats` from the analytics model: the period's
// figures against the period before, and the breakdown asked for.
func (b *Bot) commandStats(ctx context.Context, q statsQuery) message {
	if b.opts.Stats == nil {
		return note("Ticket statistics are not available in this deployment.")
	}
	p, err := analytics.ParsePeriod(q.period, b.opts.Clock(), b.opts.Location)
	if err != nil {
		return note(":warning: " + esc(err.Error()))
	}
	r, err := b.opts.Stats.Report(ctx, p, analytics.Filter{})
	if err != nil {
		b.log.Warn("ticket statistics failed", slog.String("error", err.Error()))
		return note(userText(orderbot.UserMessage(err)))
	}
	m := b.cards.statsView(r, q.by)
	if sr, ok := b.opts.Stats.(ScoreReader); ok && (q.by == "courier" || q.by == "channel") {
		scores, err := sr.Scores(ctx, b.opts.Clock())
		if err != nil {
			// The figures above still answer; the scorecard is left out.
			b.log.Warn("scorecard failed", slog.String("error", err.Error()))
		} else if blk := scorecardSection(scores, statsBreakdowns[q.by]); blk != nil {
			// Before the footer, which stays last.
			n := len(m.Blocks)
			m.Blocks = fitBlocks(append(m.Blocks[:n-1:n-1], blk, m.Blocks[n-1]), maxBlocks)
		}
	}
	return m
}

// scorecardSection is the scorecard of dim for `/ob stats by courier` (by
// channel): each member's rates over the last seven days against its usual
// level, at most ten members; nil when there is nothing to show.
func scorecardSection(scores []analytics.Score, dim string) slack.Block {
	members, by := analytics.ByMember(scores, dim)
	if len(members) == 0 {
		return nil
	}
	var lines []string
	for i, m := range members {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("• and %d more", len(members)-i))
			break
		}
		lines = append(lines, "• "+esc(m)+": "+esc(analytics.ScoreLine(by[m])))
	}
	title := "*Courier scorecard, the 7 days before today* (tickets per parcel seen; usual = median of the weeks before)"
	if dim == store.DimChannel {
		title = "*Payment channel scorecard, the 7 days before today* (lost callbacks per payment seen; usual = median of the weeks before)"
	}
	return section(title, lines)
}

var periodLabels = map[string]string{
	"today": "today", "7d": "in the last 7 days", "30d": "in the last 30 days", "week": "this week", "month": "this month",
}

var prevLabels = map[string]string{
	"today": "yesterday by this time", "7d": "the 7 days before", "30d": "the 30 days before",
	"week": "last week by this time", "month": "last month by this time",
}

// statsView is the answer to `/ob stats`: headline figures with their change
// against the previous period, opened tickets by kind, each department's claim
// and resolve times (median and 90th percentile), staff and automatic
// resolutions and breaches, money at risk, and the breakdown asked for.
func (c *cards) statsView(r analytics.Report, by string) message {
	cur, prev := &r.Current, &r.Previous
	label := periodLabels[r.Period.Name]
	chg := func(a, b int64) string {
		if s := analytics.Change(a, b); s != "" {
			return " (" + s + ")"
		}
		return ""
	}
	head := fmt.Sprintf(":bar_chart: *%d tickets opened %s*%s · %d resolved (%d by staff, %d automatically)%s · %d missed a target (%.0f%%)",
		cur.Opened, label, chg(cur.Opened, prev.Opened), cur.Resolved(), cur.ResolvedStaff, cur.ResolvedAuto,
		chg(cur.Resolved(), prev.Resolved()), cur.Breached, 100*cur.BreachRate())
	blocks := []slack.Block{slack.NewSectionBlock(md(head, maxSectionText), nil, nil)}
	var lines []string
	if len(cur.AtRisk) > 0 || len(cur.Recovered) > 0 {
		lines = append(lines, "Money at risk "+moneyList(cur.AtRisk)+" · on resolved tickets "+moneyList(cur.Recovered))
	}
	if cur.NoticesSent+cur.NoticesFailed > 0 {
		lines = append(lines, fmt.Sprintf("Customer notices: %d sent, %d failed", cur.NoticesSent, cur.NoticesFailed))
	}
	lines = append(lines, fmt.Sprintf("Claimed in %s · resolved in %s (median / 90th percentile)",
		latency(cur.Claim), latency(cur.Resolve)))
	blocks = append(blocks, slack.NewSectionBlock(md(strings.Join(lines, "\n"), maxSectionText), nil, nil))
	if cur.Opened > 0 || by != "" {
		switch by {
		case "", "kind":
			blocks = append(blocks, section("*By kind*", groupLines(cur.ByKind, true)))
			if by == "" {
				blocks = append(blocks, section("*By department* (times: median / 90th percentile)", groupLines(cur.ByDept, false)))
			}
		case "dept":
			blocks = append(blocks, section("*By department* (times: median / 90th percentile)", groupLines(cur.ByDept, false)))
		case "stage":
			blocks = append(blocks, section("*By stage*", countLines(cur.ByStage, nil)))
		case "source":
			blocks = append(blocks, section("*By source*", countLines(cur.BySource, nil)))
		default:
			dim := statsBreakdowns[by]
			blocks = append(blocks, section("*Top "+breakdownTitle(by)+"* (tickets opened)", countLines(cur.Top[dim], nil)))
		}
	}
	foot := "Since " + slackDate(cur.Since, c.loc) + "; compared with " + prevLabels[r.Period.Name] + "."
	blocks = append(blocks, slack.NewContextBlock("", md(foot, maxSectionText)))
	return message{Text: fmt.Sprintf("%d tickets opened %s", cur.Opened, label), Blocks: fitBlocks(blocks, maxBlocks)}
}

func breakdownTitle(by string) string {
	switch by {
	case "sku":
		return "SKUs"
	case "courier":
		return "couriers"
	case "channel":
		return "payment channels"
	case "region":
		return "regions"
	}
	return by
}

func section(title string, lines []string) slack.Block {
	if len(lines) == 0 {
		lines = []string{"Nothing in this period."}
	}
	return slack.NewSectionBlock(md(title+"\n"+strings.Join(lines, "\n"), maxSectionText), nil, nil)
}

// groupLines renders kinds (with titles) or departments, at most 10.
func groupLines(gs []analytics.Group, kinds bool) []string {
	var out []string
	for i, g := range gs {
		if i == 10 {
			out = append(out, fmt.Sprintf("• and %d more", len(gs)-i))
			break
		}
		name := "*" + esc(orEmptyName(g.Name)) + "*"
		if kinds {
			name = esc(kindTitle(orderbot.Kind(g.Name)))
		}
		out = append(out, fmt.Sprintf("• %s: %d opened · %d resolved by staff, %d automatically · claim %s · resolve %s · missed a target %d (%.0f%%)",
			name, g.Opened, g.ResolvedStaff, g.ResolvedAuto, latency(g.Claim), latency(g.Resolve), g.Breached, 100*g.BreachRate()))
	}
	return out
}

func countLines(cs []analytics.Count, title func(string) string) []string {
	var out []string
	for i, c := range cs {
		if i == 10 {
			break
		}
		name := c.Name
		if title != nil {
			name = title(name)
		}
		out = append(out, fmt.Sprintf("• %s ×%d", esc(orEmptyName(name)), c.Count))
	}
	return out
}

func orEmptyName(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func latency(l analytics.Latency) string {
	if l.Count == 0 {
		return "–"
	}
	return "<" + human(l.P50) + " / <" + human(l.P90)
}

// moneyList shows per-currency sums of money, "none" for no money.
func moneyList(ms []orderbot.Money) string {
	return cmp.Or(orderbot.JoinMoney(ms, ", "), "none")
}
