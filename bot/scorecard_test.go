package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/store"
)

func testScores() []analytics.Score {
	since := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	mk := func(ms analytics.Measure, member string, t, v int64, base float64, degraded bool) analytics.Score {
		return analytics.Score{Measure: ms, Member: member, Since: since, Until: since.AddDate(0, 0, 7),
			Week: analytics.WeekCount{Tickets: t, Volume: v}, Past: []analytics.WeekCount{{Tickets: 10, Volume: 245}, {Tickets: 9, Volume: 240}},
			Baseline: base, History: true, Degraded: degraded}
	}
	m := analytics.Measures
	return []analytics.Score{
		mk(m[0], "dhl", 30, 245, 10.0/245, true), mk(m[0], "<ups>", 11, 242, 0.04, false),
		mk(m[1], "dhl", 0, 245, 0, false), mk(m[1], "<ups>", 1, 242, 0, false),
		mk(m[2], "dhl", 0, 245, 0, false), mk(m[2], "<ups>", 2, 242, 0.01, false),
		mk(m[3], "stripe", 9, 400, 0.005, true),
	}
}

// TestScorecardSection: `/ob stats by courier` lists each courier's three
// rates with their usual levels, the degraded one marked, and the volume;
// names are escaped; `by channel` lists the channels.
func TestScorecardSection(t *testing.T) {
	blk := scorecardSection(testScores(), store.DimCourier)
	var sec struct {
		Text struct{ Text string }
	}
	raw, _ := json.Marshal(blk)
	if err := json.Unmarshal(raw, &sec); err != nil {
		t.Fatal(err)
	}
	txt := sec.Text.Text
	for _, want := range []string{
		"dhl: stall rate 12.2% (usual 4.1%) ⚠, overdue rate 0.0% (usual 0.0%), exception rate 0.0% (usual 0.0%) · 245 parcels",
		"&lt;ups&gt;: stall rate 4.5% (usual 4.0%)", "Courier scorecard",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("missing %q in %s", want, txt)
		}
	}
	if strings.Index(txt, "dhl") > strings.Index(txt, "ups") {
		t.Errorf("the worst courier is not first: %s", txt)
	}
	raw, _ = json.Marshal(scorecardSection(testScores(), store.DimChannel))
	if txt := string(raw); !strings.Contains(txt, "stripe: lost-callback rate 2.2% (usual 0.5%) ⚠ · 400 payments") || strings.Contains(txt, "dhl") {
		t.Errorf("channel scorecard: %s", txt)
	}
	if scorecardSection(nil, store.DimCourier) != nil {
		t.Error("an empty scorecard is shown")
	}
}

// TestScorecardView: the alert names the courier, the rate, the week, the
// counts and the usual rate, and the weeks before.
func TestScorecardView(t *testing.T) {
	c := &cards{loc: time.UTC}
	m := c.scorecardView(testScores()[0])
	raw, _ := json.Marshal(m.Blocks)
	txt := string(raw)
	for _, want := range []string{"Courier dhl: stall rate up to 12.2%", "Mon 30 Jun–Sun 6 Jul", "30 " + kindTitle(orderbot.ShippingStalled) + " tickets over 245 parcels",
		"usual 4.1%", "4.1% (10/245), 3.8% (9/240)"} {
		if !strings.Contains(txt, want) {
			t.Errorf("missing %q in %s", want, txt)
		}
	}
	if m.Text != "Courier dhl: stall rate up to 12.2%" {
		t.Errorf("text %q", m.Text)
	}
}
