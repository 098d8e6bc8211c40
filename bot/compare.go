package bot

import (
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot"
)

// Reconciliation tickets carry, per disputed field, what each system says
// (orderbot.Comparison, travelling as a fact). The card shows them side by
// side, shop | ERP | payment | courier, the values that disagree marked.

// differMark marks a value that disagrees with the other systems.
const differMark = ":warning: "

// splitComparisons separates comparison facts from plain ones.
func splitComparisons(facts []orderbot.Fact) (plainFacts []orderbot.Fact, cmps []orderbot.Comparison) {
	for _, f := range facts {
		if c, ok := orderbot.ParseComparison(f); ok {
			cmps = append(cmps, c)
			continue
		}
		plainFacts = append(plainFacts, f)
	}
	if len(cmps) == 0 {
		return facts, nil
	}
	return plainFacts, cmps
}

// comparisonLine renders one disputed field across the systems.
func comparisonLine(c orderbot.Comparison) string {
	var b strings.Builder
	b.WriteString("*" + esc(oneLine(c.Field)) + "*  ")
	for s := orderbot.System(0); s < orderbot.NumSystems; s++ {
		if s > 0 {
			b.WriteString("  |  ")
		}
		b.WriteString("_" + s.String() + "_ ")
		v := strings.TrimSpace(c.Values[s])
		switch {
		case v == "":
			b.WriteString("—")
		case c.Differs[s]:
			b.WriteString(differMark + "*" + esc(oneLine(v)) + "*")
		default:
			b.WriteString(esc(oneLine(v)))
		}
	}
	return b.String()
}

// comparisonBlocks is the side-by-side section of a reconciliation ticket.
func (c *cards) comparisonBlocks(t orderbot.Ticket, ver string) []slack.Block {
	_, cmps := splitComparisons(t.Facts)
	if len(cmps) == 0 {
		return nil
	}
	lines := make([]string, 0, len(cmps)+1)
	lines = append(lines, "*Side by side* (shop | ERP | payment | courier; "+strings.TrimSpace(differMark)+" disagrees)")
	for _, cmp := range cmps {
		lines = append(lines, comparisonLine(cmp))
	}
	return []slack.Block{slack.NewSectionBlock(md(strings.Join(lines, "\n"), maxSectionText), nil, nil,
		slack.SectionBlockOptionBlockID(blockID("ob", t.ID, ver, "cmp")))}
}

// atRiskField is the card field of the money at stake, nil when none.
func atRiskField(t orderbot.Ticket) *slack.TextBlockObject {
	if t.AtRisk.Minor == 0 {
		return nil
	}
	return md("*At risk*\n"+esc(t.AtRisk.String()), maxFieldText)
}

// rankByAtRisk orders tickets by money at risk, most first (amounts compare
// in minor units whatever their currency; ties keep the newest first).
func rankByAtRisk(ts []orderbot.Ticket) {
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].AtRisk.Minor > ts[j].AtRisk.Minor })
}
