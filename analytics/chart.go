package analytics

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// DailyOpened returns the tickets opened on each of the n local days ending
// with the day that holds last (oldest first), and on the same days a week
// earlier, for the digest's chart.
func (m *Model) DailyOpened(ctx context.Context, last time.Time, n int) (days []time.Time, cur, prev []int64, err error) {
	loc := m.Location
	if loc == nil {
		loc = time.UTC
	}
	l := last.In(loc)
	first := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -(n - 1))
	for i := range n {
		d := first.AddDate(0, 0, i)
		c, err := m.figures(ctx, d, d.AddDate(0, 0, 1), Filter{}, false)
		if err != nil {
			return nil, nil, nil, err
		}
		p, err := m.figures(ctx, d.AddDate(0, 0, -7), d.AddDate(0, 0, -6), Filter{}, false)
		if err != nil {
			return nil, nil, nil, err
		}
		days = append(days, d)
		cur = append(cur, c.Opened)
		prev = append(prev, p.Opened)
	}
	return days, cur, prev, nil
}

// Chart renders the digest's chart as a PNG: tickets opened per day over the
// days given, as bars, beside the same weekdays a week earlier.
func Chart(title string, days []time.Time, cur, prev []int64) ([]byte, error) {
	if len(days) == 0 || len(cur) != len(days) || len(prev) != len(days) {
		return nil, fmt.Errorf("chart: %d days with %d and %d values", len(days), len(cur), len(prev))
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "tickets opened"
	p.Y.Min = 0
	w := vg.Points(14)
	bars := func(vals []int64, c color.Color, offset vg.Length) (*plotter.BarChart, error) {
		v := make(plotter.Values, len(vals))
		for i, n := range vals {
			v[i] = float64(n)
		}
		b, err := plotter.NewBarChart(v, w)
		if err != nil {
			return nil, err
		}
		b.LineStyle.Width = 0
		b.Color = c
		b.Offset = offset
		return b, nil
	}
	last, err := bars(prev, color.RGBA{R: 0xb0, G: 0xb7, B: 0xc3, A: 0xff}, -w/2)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	this, err := bars(cur, color.RGBA{R: 0x1f, G: 0x6f, B: 0xd0, A: 0xff}, w/2)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	p.Add(last, this)
	p.Legend.Add("a week earlier", last)
	p.Legend.Add("these days", this)
	p.Legend.Top = true
	names := make([]string, len(days))
	for i, d := range days {
		names[i] = d.Format("Mon 2 Jan")
	}
	p.NominalX(names...)
	wt, err := p.WriterTo(8*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return buf.Bytes(), nil
}
