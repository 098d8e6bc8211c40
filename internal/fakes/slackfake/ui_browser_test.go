package slackfake_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

// chromiumPath is where the Debian package puts Chromium; .ci/run installs it.
const chromiumPath = "/usr/bin/chromium"

// browser starts headless Chromium for one test; a missing Chromium fails the
// test unless ORDERBOT_SKIP_BROWSER=1.
func browser(t *testing.T) context.Context {
	t.Helper()
	if os.Getenv("ORDERBOT_SKIP_BROWSER") == "1" {
		t.Skip("ORDERBOT_SKIP_BROWSER=1")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the page tests need Chromium at %s (Debian: apt-get install -y chromium); set ORDERBOT_SKIP_BROWSER=1 to skip them: %v", chromiumPath, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
	b, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancel() })
	return b
}

func TestUIRendersBlockKitSafely(t *testing.T) {
	b := browser(t)
	env := newPage(t, slackfake.UIOptions{ChannelNames: map[string]string{"C1": "finance"},
		Users: []slackfake.User{{ID: "U0LEAD", RealName: "A Lead"}}})
	txt := func(typ, s string) *slack.TextBlockObject { return slack.NewTextBlockObject(typ, s, false, false) }
	opt := func(v string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(v, txt("plain_text", v), nil)
	}
	hostile := "*bold* _it_ `co&lt;de&gt;` <https://example.com/x?a=1&amp;b=2|a link> <javascript:alert(1)|bad> <@U0LEAD> " +
		"&lt;img src=x onerror=window.pwned=1&gt; snake_case_name\n&gt; quoted"
	blocks := []slack.Block{
		slack.NewHeaderBlock(txt("plain_text", "Order <b>1</b>")),
		slack.NewSectionBlock(txt("mrkdwn", hostile), []*slack.TextBlockObject{txt("mrkdwn", "*State*\nOpen")}, nil),
		slack.NewContextBlock("ctx", txt("mrkdwn", "context line")),
		slack.NewDividerBlock(),
		slack.NewActionBlock("ob|T1|v1|a",
			slack.NewButtonBlockElement("ob.claim", "T1|1", txt("plain_text", "Claim")).WithStyle(slack.StylePrimary),
			slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, txt("plain_text", "Snooze"), "ob.snooze", opt("30m"), opt("2h")),
			slack.NewOverflowBlockElement("ob.more", opt("x")),
			slack.NewOptionsSelectBlockElement(slack.OptTypeUser, txt("plain_text", "Reassign"), "ob.reassign")),
	}
	if _, _, err := env.api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("card", false), slack.MsgOptionBlocks(blocks...)); err != nil {
		t.Fatal(err)
	}

	var got map[string]any
	err := chromedp.Run(b,
		chromedp.Navigate(env.page.URL+"/?channel=C1"),
		chromedp.WaitVisible(`#messages > .msg button[data-action-id="ob.claim"]`, chromedp.ByQuery),
		chromedp.Evaluate(`(() => {
			const m = document.querySelector('#messages > .msg');
			const q = (s) => m.querySelector(s);
			return {
				header: q('.b-header').textContent,
				bold: q('.b-section b').textContent,
				italic: [...m.querySelectorAll('.b-section i')].map(e => e.textContent).join('|'),
				code: q('code').textContent,
				links: [...m.querySelectorAll('a')].map(a => a.getAttribute('href') + ' ' + a.textContent).join('|'),
				mention: q('.mention').textContent,
				quote: q('blockquote') ? q('blockquote').textContent : '',
				imgs: m.querySelectorAll('img').length,
				pwned: window.pwned === undefined ? 'no' : 'yes',
				literal: m.innerText.includes('<img src=x onerror=window.pwned=1>') && m.innerText.includes('snake_case_name') && m.innerText.includes('bad'),
				fields: q('.fields').innerText,
				context: q('.b-context').textContent,
				divider: m.querySelectorAll('hr.b-divider').length,
				controls: [...m.querySelectorAll('[data-action-id]')].map(e => e.tagName + ':' + e.dataset.actionId).join(' '),
				users: [...q('select[data-action-id="ob.reassign"]').options].map(o => o.value + '=' + o.textContent).join(' '),
			};
		})()`, &got),
	)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"header": "Order <b>1</b>", "bold": "bold", "italic": "it", "code": "co<de>",
		"links": "https://example.com/x?a=1&b=2 a link", "mention": "@A Lead", "quote": "quoted",
		"imgs": float64(0), "pwned": "no", "literal": true, "fields": "State Open", "context": "context line", "divider": float64(1),
		"controls": "BUTTON:ob.claim SELECT:ob.snooze SELECT:ob.more SELECT:ob.reassign",
		"users":    "=Reassign U0DEMO=Demo User U0LEAD=A Lead",
	}
	for k, w := range want {
		if got[k] != w {
			g, _ := json.Marshal(got[k])
			t.Errorf("%s = %s, want %v", k, g, w)
		}
	}

	// Choosing a user sends a users_select block action to the bot.
	err = chromedp.Run(b, chromedp.Evaluate(`(() => {
		const s = document.querySelector('select[data-action-id="ob.reassign"]');
		s.value = 'U0LEAD';
		s.dispatchEvent(new Event('change'));
	})()`, nil))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		env.bot.mu.Lock()
		n := len(env.bot.got)
		env.bot.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the choice never reached the bot")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var p slack.InteractionCallback
	if err := json.Unmarshal([]byte(env.bot.last().Form.Get("payload")), &p); err != nil {
		t.Fatal(err)
	}
	if a := p.ActionCallback.BlockActions; len(a) != 1 || a[0].ActionID != "ob.reassign" || a[0].SelectedUser != "U0LEAD" ||
		a[0].BlockID != "ob|T1|v1|a" || p.Container.ChannelID != "C1" || p.User.ID != "U0DEMO" {
		t.Fatalf("payload = %s", env.bot.last().Form.Get("payload"))
	}
}

func TestUINoticesTabWithoutProviders(t *testing.T) {
	b := browser(t)
	env := newPage(t, slackfake.UIOptions{})
	var text string
	err := chromedp.Run(b,
		chromedp.Navigate(env.page.URL+"/"),
		chromedp.WaitVisible(`body[data-ready="1"]`, chromedp.ByQuery),
		chromedp.Click(`#tab-notices`, chromedp.ByQuery),
		chromedp.WaitVisible(`#notices-pane`, chromedp.ByQuery),
		chromedp.Text(`#notices`, &text, chromedp.ByQuery))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Customer notices are not configured in this build."; !strings.Contains(text, want) {
		t.Fatalf("notices tab shows %q, want %q", text, want)
	}
}

func TestUIModalKeepsInputAfterErrors(t *testing.T) {
	b := browser(t)
	env := newPage(t, slackfake.UIOptions{})
	env.bot.answer = func(string, url.Values) string {
		return `{"response_action":"errors","errors":{"code":"Choose one of the listed resolutions."}}`
	}
	env.openView(t, "U0DEMO")
	var got string
	err := chromedp.Run(b,
		chromedp.Navigate(env.page.URL+"/?channel=C1"),
		chromedp.WaitVisible(`#modal textarea[data-action-id="note"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#modal textarea[data-action-id="note"]`, "kept", chromedp.ByQuery),
		chromedp.Click(`#modal-submit`, chromedp.ByQuery, chromedp.NodeVisible),
		chromedp.WaitVisible(`#modal .b-input .error`, chromedp.ByQuery),
		chromedp.Value(`#modal textarea[data-action-id="note"]`, &got, chromedp.ByQuery))
	if err != nil {
		t.Fatal(err)
	}
	if got != "kept" {
		t.Fatalf("the note after the errors is %q, want %q", got, "kept")
	}
	var p slack.InteractionCallback
	if err := json.Unmarshal([]byte(env.bot.last().Form.Get("payload")), &p); err != nil {
		t.Fatal(err)
	}
	if v := p.View.State.Values["note"]["note"].Value; v != "kept" {
		t.Fatalf("submitted note %q", v)
	}
}
