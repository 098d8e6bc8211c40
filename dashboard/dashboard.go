package dashboard

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/csv"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/analytics"
	"github.com/orderbot/orderbot/store"
)

// Reports is what the dashboard reads (*analytics.Model).
type Reports interface {
	Report(ctx context.Context, p analytics.Period, f analytics.Filter) (analytics.Report, error)
}

// Options configure the dashboard.
type Options struct {
	Reports  Reports
	Location *time.Location
	Now      func() time.Time
	// Token, when set, is required (Authorization: Bearer, the cookie, or once
	// as ?token=).
	Token string
	// TrustedHeader, when set, names a header an authenticating proxy sets;
	// a request that carries it non-empty is let in.
	TrustedHeader string
	Logger        *slog.Logger
}

// Paths the dashboard serves.
const (
	PathPage = "/dashboard"
	PathCSV  = "/dashboard.csv"
)

const cookieName = "orderbot_dashboard"

// Handler serves the read-only dashboard: GET /dashboard (HTML with SVG
// charts) and GET /dashboard.csv, both filtered by the query parameters period
// (today, 7d, 30d, week, month), dept, kind and source. With neither a token
// nor a trusted header configured it answers everyone: config validation
// allows that only on a loopback address.
func Handler(o Options) http.Handler {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	d := &dash{o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathPage, d.page)
	mux.HandleFunc("GET "+PathCSV, d.csv)
	return d.guard(mux)
}

type dash struct{ o Options }

// guard lets a request in when it proves the token or carries the trusted
// header. A valid ?token= sets an HttpOnly cookie and redirects to the same
// address without it, so the token does not stay in the address bar or in
// the history.
func (d *dash) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'")
		if d.o.Token == "" && d.o.TrustedHeader == "" {
			next.ServeHTTP(w, r)
			return
		}
		if d.o.TrustedHeader != "" && strings.TrimSpace(r.Header.Get(d.o.TrustedHeader)) != "" {
			next.ServeHTTP(w, r)
			return
		}
		if d.o.Token != "" {
			if q := r.URL.Query().Get("token"); q != "" && d.tokenOK(q) {
				http.SetCookie(w, &http.Cookie{Name: cookieName, Value: q, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
					Secure: r.TLS != nil})
				u := *r.URL
				v := u.Query()
				v.Del("token")
				u.RawQuery = v.Encode()
				http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
				return
			}
			if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && d.tokenOK(auth) {
				next.ServeHTTP(w, r)
				return
			}
			if c, err := r.Cookie(cookieName); err == nil && d.tokenOK(c.Value) {
				next.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="orderbot dashboard"`)
		http.Error(w, "The dashboard needs its token (Authorization: Bearer, or ?token= once).", http.StatusUnauthorized)
	})
}

func (d *dash) tokenOK(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(d.o.Token)) == 1
}

// query is a parsed request.
type query struct {
	period string
	filter analytics.Filter
}

func parseQuery(r *http.Request) (query, error) {
	v := r.URL.Query()
	q := query{period: v.Get("period")}
	if q.period == "" {
		q.period = "7d"
	}
	if !slices.Contains(analytics.PeriodNames, q.period) {
		return q, fmt.Errorf("period must be one of %s", strings.Join(analytics.PeriodNames, ", "))
	}
	q.filter = analytics.Filter{Department: clip(v.Get("dept")), Kind: orderbot.Kind(clip(v.Get("kind"))), Source: clip(v.Get("source"))}
	if q.filter.Kind != "" && !q.filter.Kind.Known() {
		return q, fmt.Errorf("there is no kind %q", q.filter.Kind)
	}
	return q, nil
}

func clip(s string) string {
	if len(s) > 100 {
		return s[:100]
	}
	return s
}

func (d *dash) report(ctx context.Context, q query) (analytics.Report, error) {
	p, err := analytics.ParsePeriod(q.period, d.o.Now(), d.o.Location)
	if err != nil {
		return analytics.Report{}, err
	}
	return d.o.Reports.Report(ctx, p, q.filter)
}

// requested parses the request's query and reads its report; on failure it
// has answered the request and ok is false.
func (d *dash) requested(w http.ResponseWriter, r *http.Request) (q query, rep analytics.Report, ok bool) {
	q, err := parseQuery(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return q, rep, false
	}
	if rep, err = d.report(r.Context(), q); err != nil {
		d.o.Logger.Warn("dashboard report failed", slog.String("error", err.Error()))
		http.Error(w, "The figures could not be read; try again.", http.StatusServiceUnavailable)
		return q, rep, false
	}
	return q, rep, true
}

func (d *dash) page(w http.ResponseWriter, r *http.Request) {
	q, rep, ok := d.requested(w, r)
	if !ok {
		return
	}
	// The filter choices come from the whole period, unfiltered.
	all := rep
	if q.filter != (analytics.Filter{}) {
		var err error
		if all, err = d.report(r.Context(), query{period: q.period}); err != nil {
			http.Error(w, "The figures could not be read; try again.", http.StatusServiceUnavailable)
			return
		}
	}
	csvURL := PathCSV + "?" + r.URL.Query().Encode()
	view := pageData(rep, all, q, csvURL, d.o.Location)
	var err error
	if view.Scores, err = d.scores(r.Context()); err != nil {
		// The figures still answer; the scorecard is left out.
		d.o.Logger.Warn("dashboard scorecard failed", slog.String("error", err.Error()))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pageTmpl.Execute(w, view); err != nil {
		d.o.Logger.Warn("dashboard render failed", slog.String("error", err.Error()))
	}
}

// csv writes the figures as rows of section, name, metric, value.
func (d *dash) csv(w http.ResponseWriter, r *http.Request) {
	q, rep, ok := d.requested(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="orderbot-%s.csv"`, q.period))
	cw := csv.NewWriter(w)
	cur, prev := &rep.Current, &rep.Previous
	row := func(section, name, metric string, v any) {
		// Spreadsheet formula injection: a cell that starts with = + - @ is
		// text, not a formula.
		if strings.ContainsAny(name[:min(1, len(name))], "=+-@") {
			name = "'" + name
		}
		_ = cw.Write([]string{section, name, metric, fmt.Sprint(v)})
	}
	_ = cw.Write([]string{"section", "name", "metric", "value"})
	row("period", q.period, "since", cur.Since.In(d.o.Location).Format(time.RFC3339))
	row("period", q.period, "until", cur.Until.In(d.o.Location).Format(time.RFC3339))
	for _, t := range []struct {
		name      string
		cur, prev int64
	}{
		{"opened", cur.Opened, prev.Opened}, {"reopened", cur.Reopened, prev.Reopened}, {"claimed", cur.Claimed, prev.Claimed},
		{"resolved_staff", cur.ResolvedStaff, prev.ResolvedStaff}, {"resolved_auto", cur.ResolvedAuto, prev.ResolvedAuto},
		{"breached", cur.Breached, prev.Breached}, {"notices_sent", cur.NoticesSent, prev.NoticesSent},
		{"notices_failed", cur.NoticesFailed, prev.NoticesFailed},
	} {
		row("total", "all", t.name, t.cur)
		row("previous", "all", t.name, t.prev)
	}
	row("total", "all", "claim_p50_seconds", int64(cur.Claim.P50.Seconds()))
	row("total", "all", "claim_p90_seconds", int64(cur.Claim.P90.Seconds()))
	row("total", "all", "resolve_p50_seconds", int64(cur.Resolve.P50.Seconds()))
	row("total", "all", "resolve_p90_seconds", int64(cur.Resolve.P90.Seconds()))
	for _, m := range cur.AtRisk {
		row("money_at_risk", m.Currency, "minor_units", m.Minor)
	}
	for _, m := range cur.Recovered {
		row("money_on_resolved", m.Currency, "minor_units", m.Minor)
	}
	groups := func(section string, gs []analytics.Group) {
		for _, g := range gs {
			row(section, g.Name, "opened", g.Opened)
			row(section, g.Name, "resolved_staff", g.ResolvedStaff)
			row(section, g.Name, "resolved_auto", g.ResolvedAuto)
			row(section, g.Name, "breached", g.Breached)
			row(section, g.Name, "claim_p50_seconds", int64(g.Claim.P50.Seconds()))
			row(section, g.Name, "resolve_p50_seconds", int64(g.Resolve.P50.Seconds()))
		}
	}
	groups("kind", cur.ByKind)
	groups("department", cur.ByDept)
	for _, c := range cur.ByStage {
		row("stage", c.Name, "opened", c.Count)
	}
	for _, c := range cur.BySource {
		row("source", c.Name, "opened", c.Count)
	}
	for _, dim := range analytics.Dimensions {
		for _, c := range cur.Top[dim] {
			row("top_"+dim, c.Name, "opened", c.Count)
		}
	}
	for h, n := range cur.ByHour {
		row("hour", strconv.Itoa(h), "opened", n)
	}
	for wd, n := range cur.ByWeekday {
		row("weekday", time.Weekday((wd+1)%7).String(), "opened", n)
	}
	cw.Flush()
}

// bar is one bar of an SVG bar chart.
type bar struct {
	Label string
	Value int64
	X, Y  int // top-left, in the SVG's units
	W, H  int
}

// chart is a server-rendered SVG bar chart: no script runs in the page.
type chart struct {
	Title  string
	Bars   []bar
	Width  int
	Height int
}

func barChart(title string, labels []string, values []int64) chart {
	const height, barW, gap = 120, 22, 6
	c := chart{Title: title, Height: height + 40, Width: max(len(values)*(barW+gap)+gap, 200)}
	var top int64 = 1
	for _, v := range values {
		top = max(top, v)
	}
	for i, v := range values {
		h := int(v * height / top)
		c.Bars = append(c.Bars, bar{Label: labels[i], Value: v, X: gap + i*(barW+gap), Y: height - h + 10, W: barW, H: h})
	}
	return c
}

type pageView struct {
	Period, Dept, Kind, Source string
	Periods                    []string
	Depts, Kinds, Sources      []string
	Since, Until               string
	Cur, Prev                  *analytics.Figures
	Headline                   []headline
	Charts                     []chart
	KindRows, DeptRows         []groupRow
	Tops                       []topList
	CSV                        template.URL
	Unfiltered                 bool
	Scores                     []scoreRow
}

// scoreRow is one courier's or payment channel's line of the scorecard.
type scoreRow struct {
	What, Member, Line string
	Degraded           bool
}

// ScoreReader is a Reports that also has the courier and payment-channel
// scorecard (*analytics.Model); the page then shows it.
type ScoreReader interface {
	Scores(ctx context.Context, now time.Time) ([]analytics.Score, error)
}

// scores is the scorecard's rows: couriers, then payment channels, each
// worst first; none when Reports has no scorecard. It covers the seven days
// before today whatever the filter, as its rates need whole weeks.
func (d *dash) scores(ctx context.Context) ([]scoreRow, error) {
	sr, ok := d.o.Reports.(ScoreReader)
	if !ok {
		return nil, nil
	}
	scores, err := sr.Scores(ctx, d.o.Now())
	if err != nil {
		return nil, err
	}
	var rows []scoreRow
	for _, dim := range []string{store.DimCourier, store.DimChannel} {
		members, by := analytics.ByMember(scores, dim)
		what := "courier"
		if dim == store.DimChannel {
			what = "payment channel"
		}
		for _, m := range members {
			row := scoreRow{What: what, Member: m, Line: analytics.ScoreLine(by[m])}
			for _, s := range by[m] {
				row.Degraded = row.Degraded || s.Degraded
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

type headline struct {
	Name, Value, Change string
}

type groupRow struct {
	Name                                       string
	Opened, Staff, Auto, Breached              int64
	ClaimP50, ClaimP90, ResolveP50, ResolveP90 string
}

type topList struct {
	Title string
	Items []analytics.Count
}

func pageData(rep, all analytics.Report, q query, csvURL string, loc *time.Location) pageView {
	cur, prev := &rep.Current, &rep.Previous
	v := pageView{Period: q.period, Dept: q.filter.Department, Kind: string(q.filter.Kind), Source: q.filter.Source,
		Periods: analytics.PeriodNames, Cur: cur, Prev: prev, CSV: template.URL(csvURL), Unfiltered: cur.Unfiltered,
		Since: cur.Since.In(loc).Format("2006-01-02 15:04"), Until: cur.Until.In(loc).Format("2006-01-02 15:04 MST")}
	for _, g := range all.Current.ByDept {
		v.Depts = append(v.Depts, g.Name)
	}
	for _, g := range all.Current.ByKind {
		v.Kinds = append(v.Kinds, g.Name)
	}
	for _, c := range all.Current.BySource {
		v.Sources = append(v.Sources, c.Name)
	}
	slices.Sort(v.Depts)
	slices.Sort(v.Kinds)
	slices.Sort(v.Sources)
	v.Headline = []headline{
		{"Opened", strconv.FormatInt(cur.Opened, 10), analytics.Change(cur.Opened, prev.Opened)},
		{"Resolved by staff", strconv.FormatInt(cur.ResolvedStaff, 10), analytics.Change(cur.ResolvedStaff, prev.ResolvedStaff)},
		{"Auto-resolved", strconv.FormatInt(cur.ResolvedAuto, 10), analytics.Change(cur.ResolvedAuto, prev.ResolvedAuto)},
		{"Missed a target", fmt.Sprintf("%d (%.0f%%)", cur.Breached, 100*cur.BreachRate()), analytics.Change(cur.Breached, prev.Breached)},
		{"Claim p50 / p90", dur(cur.Claim.P50) + " / " + dur(cur.Claim.P90), ""},
		{"Resolve p50 / p90", dur(cur.Resolve.P50) + " / " + dur(cur.Resolve.P90), ""},
		{"Money at risk", cmp.Or(orderbot.JoinMoney(cur.AtRisk, ", "), "none"), ""},
		{"Notices sent / failed", fmt.Sprintf("%d / %d", cur.NoticesSent, cur.NoticesFailed), ""},
	}
	var kl []string
	var kv []int64
	for _, g := range cur.ByKind {
		kl, kv = append(kl, g.Name), append(kv, g.Opened)
	}
	v.Charts = append(v.Charts, barChart("Opened by kind", kl, kv))
	var sl []string
	var sv []int64
	for _, c := range cur.ByStage {
		sl, sv = append(sl, c.Name), append(sv, c.Count)
	}
	v.Charts = append(v.Charts, barChart("Opened by stage", sl, sv))
	hl := make([]string, 24)
	for h := range hl {
		hl[h] = fmt.Sprintf("%02d:00", h)
	}
	v.Charts = append(v.Charts, barChart("Opened by hour of day", hl, cur.ByHour[:]))
	v.Charts = append(v.Charts, barChart("Opened by weekday", []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}, cur.ByWeekday[:]))
	row := func(g analytics.Group) groupRow {
		return groupRow{Name: g.Name, Opened: g.Opened, Staff: g.ResolvedStaff, Auto: g.ResolvedAuto, Breached: g.Breached,
			ClaimP50: dur(g.Claim.P50), ClaimP90: dur(g.Claim.P90), ResolveP50: dur(g.Resolve.P50), ResolveP90: dur(g.Resolve.P90)}
	}
	for _, g := range cur.ByKind {
		v.KindRows = append(v.KindRows, row(g))
	}
	for _, g := range cur.ByDept {
		v.DeptRows = append(v.DeptRows, row(g))
	}
	for _, dim := range analytics.Dimensions {
		v.Tops = append(v.Tops, topList{Title: "Top " + dim, Items: cur.Top[dim]})
	}
	return v
}

func dur(d time.Duration) string {
	if d == 0 {
		return "–"
	}
	if d < time.Hour {
		return fmt.Sprintf("<%dm", int(d.Minutes()+0.999))
	}
	return "<" + strconv.FormatFloat(d.Hours(), 'f', 1, 64) + "h"
}

// selected is a template helper.
func selected(a, b string) bool { return a == b }

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{"selected": selected, "q": url.QueryEscape}).Parse(pageHTML))
