package dashboard

// pageHTML is the dashboard page. html/template escapes every value, names of
// kinds, departments, sources and SKUs included.
const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orderbot · dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d1c1d;background:#f8f8f8}
header{background:#3f0e40;color:#fff;padding:10px 20px}header h1{font-size:18px;margin:0}
main{padding:16px 20px}form{display:flex;gap:12px;flex-wrap:wrap;align-items:end;margin-bottom:16px}
label{display:flex;flex-direction:column;font-size:12px;color:#555}select,button{font:inherit;padding:4px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
.card .v{font-size:20px;font-weight:600}.card .c{font-size:12px;color:#555}
.charts{display:flex;gap:16px;flex-wrap:wrap;margin:16px 0}.chart{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}
.chart h2,section h2{font-size:14px;margin:4px 0 8px}svg rect{fill:#1f6fd0}svg text{font-size:9px;fill:#333}
table{border-collapse:collapse;background:#fff;margin-bottom:16px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.tops{display:flex;gap:16px;flex-wrap:wrap}.note{color:#555;font-size:12px}
</style></head><body>
<header><h1>orderbot · the manager's view</h1></header>
<main>
<form method="get" action="/dashboard" id="filters">
<label>Period<select name="period" id="period">{{range .Periods}}<option value="{{.}}"{{if selected . $.Period}} selected{{end}}>{{.}}</option>{{end}}</select></label>
<label>Department<select name="dept" id="dept"><option value="">all</option>{{range .Depts}}<option value="{{.}}"{{if selected . $.Dept}} selected{{end}}>{{.}}</option>{{end}}</select></label>
<label>Kind<select name="kind" id="kind"><option value="">all</option>{{range .Kinds}}<option value="{{.}}"{{if selected . $.Kind}} selected{{end}}>{{.}}</option>{{end}}</select></label>
<label>Source<select name="source" id="source"><option value="">all</option>{{range .Sources}}<option value="{{.}}"{{if selected . $.Source}} selected{{end}}>{{.}}</option>{{end}}</select></label>
<button type="submit" id="apply">Apply</button>
<a href="{{.CSV}}" id="csv" download>Download CSV</a>
</form>
<p class="note">{{.Since}} – {{.Until}}, compared with the period before.{{if .Unfiltered}} Top lists and the hour and weekday charts count every ticket, whatever the filter.{{end}}</p>
<div class="cards" id="headline">{{range .Headline}}<div class="card"><div class="c">{{.Name}}</div><div class="v">{{.Value}}</div>{{if .Change}}<div class="c">{{.Change}} on the period before</div>{{end}}</div>{{end}}</div>
<div class="charts">{{range .Charts}}<div class="chart"><h2>{{.Title}}</h2>
<svg role="img" aria-label="{{.Title}}" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Label}}: {{.Value}}</title></rect>{{end}}</svg></div>{{end}}</div>
<section><h2>By kind</h2><table id="kinds"><tr><th>kind</th><th>opened</th><th>resolved by staff</th><th>auto-resolved</th><th>missed a target</th><th>claim p50 / p90</th><th>resolve p50 / p90</th></tr>
{{range .KindRows}}<tr><td>{{.Name}}</td><td>{{.Opened}}</td><td>{{.Staff}}</td><td>{{.Auto}}</td><td>{{.Breached}}</td><td>{{.ClaimP50}} / {{.ClaimP90}}</td><td>{{.ResolveP50}} / {{.ResolveP90}}</td></tr>{{end}}</table></section>
<section><h2>By department</h2><table id="depts"><tr><th>department</th><th>opened</th><th>resolved by staff</th><th>auto-resolved</th><th>missed a target</th><th>claim p50 / p90</th><th>resolve p50 / p90</th></tr>
{{range .DeptRows}}<tr><td>{{.Name}}</td><td>{{.Opened}}</td><td>{{.Staff}}</td><td>{{.Auto}}</td><td>{{.Breached}}</td><td>{{.ClaimP50}} / {{.ClaimP90}}</td><td>{{.ResolveP50}} / {{.ResolveP90}}</td></tr>{{end}}</table></section>
{{if .Scores}}<section><h2>Courier and payment-channel scorecard, the 7 days before today (tickets per parcel or payment seen; usual = median of the weeks before; ⚠ degraded)</h2><table id="scorecard"><tr><th>courier or channel</th><th></th><th>rates</th></tr>
{{range .Scores}}<tr{{if .Degraded}} class="degraded"{{end}}><td>{{.Member}}</td><td>{{.What}}</td><td>{{.Line}}</td></tr>{{end}}</table></section>{{end}}
<div class="tops">{{range .Tops}}<section><h2>{{.Title}}</h2><table>{{range .Items}}<tr><td>{{.Name}}</td><td>{{.Count}}</td></tr>{{else}}<tr><td>none</td><td></td></tr>{{end}}</table></section>{{end}}</div>
</main></body></html>
`
