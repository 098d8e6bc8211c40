package dashboard

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where the Debian package puts Chromium; .ci/run installs it.
const chromiumPath = "/usr/bin/chromium"

// TestDashboardInBrowser opens the dashboard in headless Chromium with its
// token, reads the headline figures, the SVG charts and the tables, narrows it
// to one department through the form, and downloads the CSV from the page.
func TestDashboardInBrowser(t *testing.T) {
	if os.Getenv("ORDERBOT_SKIP_BROWSER") == "1" {
		t.Skip("ORDERBOT_SKIP_BROWSER=1")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the dashboard test needs Chromium at %s (Debian: apt-get install -y chromium); set ORDERBOT_SKIP_BROWSER=1 to skip it: %v", chromiumPath, err)
	}
	srv, _ := seeded(t, Options{Token: "s3cret"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
	defer cancelAlloc()
	b, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()

	var headline, kinds, location string
	var bars int
	err := chromedp.Run(b,
		chromedp.Navigate(srv.URL+PathPage+"?period=today&token=s3cret"),
		chromedp.WaitVisible("#headline", chromedp.ByID),
		chromedp.Location(&location),
		chromedp.Text("#headline", &headline, chromedp.ByID),
		chromedp.Text("#kinds", &kinds, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll('svg rect').length`, &bars),
	)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(location, "token") {
		t.Errorf("the token stayed in the address: %s", location)
	}
	if !strings.Contains(headline, "Opened\n3") || !strings.Contains(headline, "Auto-resolved\n1") {
		t.Errorf("headline: %q", headline)
	}
	if !strings.Contains(kinds, "payment.unrecorded\t2") || !strings.Contains(kinds, "shipping.stalled\t1") {
		t.Errorf("kinds table: %q", kinds)
	}
	// Kinds (2) + stages (5) + hours (24) + weekdays (7).
	if bars != 38 {
		t.Errorf("%d chart bars, want 38", bars)
	}

	// Filter to logistics through the form, as a manager would.
	var depts, csvText string
	err = chromedp.Run(b,
		chromedp.SetValue("#dept", "logistics", chromedp.ByID),
		chromedp.Click("#apply", chromedp.ByID),
		chromedp.WaitVisible(`#depts`, chromedp.ByID),
		chromedp.Location(&location),
		chromedp.Text("#depts", &depts, chromedp.ByID),
		chromedp.Evaluate(`fetch(document.getElementById('csv').href).then(r => r.text())`, &csvText,
			func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(location, "dept=logistics") || !strings.Contains(depts, "logistics") || strings.Contains(depts, "finance") {
		t.Errorf("after filtering (%s): %q", location, depts)
	}
	if !strings.Contains(csvText, "total,all,opened,1\n") || !strings.Contains(csvText, "department,logistics,resolved_auto,1\n") {
		t.Errorf("csv from the page:\n%s", csvText)
	}
}
