package templates

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/orderbot/orderbot"
)

// builtinEvents is the product decision of which notices exist out of the
// box, for every locale.
var builtinEvents = map[orderbot.Kind][]orderbot.NoticeEvent{
	orderbot.PaymentDuplicate:      {orderbot.NoticeResolve, orderbot.NoticeManual},
	orderbot.PaymentAfterClose:     {orderbot.NoticeResolve, orderbot.NoticeManual},
	orderbot.PaymentUnrecorded:     {orderbot.NoticeManual},
	orderbot.PaymentMissing:        {orderbot.NoticeManual},
	orderbot.PaymentAmountMismatch: {orderbot.NoticeManual},
	orderbot.ShippingLateDispatch:  {orderbot.NoticeBreach, orderbot.NoticeOpen, orderbot.NoticeManual},
	orderbot.ShippingNoPickup:      {orderbot.NoticeManual},
	orderbot.ShippingStalled:       {orderbot.NoticeOpen, orderbot.NoticeResolve, orderbot.NoticeManual},
	orderbot.ShippingOverdue:       {orderbot.NoticeOpen, orderbot.NoticeResolve, orderbot.NoticeManual},
	orderbot.ShippingException:     {orderbot.NoticeOpen, orderbot.NoticeResolve, orderbot.NoticeManual},
	orderbot.ShippingNotReceived:   {orderbot.NoticeOpen, orderbot.NoticeResolve, orderbot.NoticeManual},
	orderbot.CustomerInvalidPhone:  {orderbot.NoticeOpen, orderbot.NoticeManual},
	orderbot.CustomerInvalidAddr:   {orderbot.NoticeOpen, orderbot.NoticeManual},
	orderbot.InventoryOversold:     {orderbot.NoticeOpen},
	DefaultKind:                    {orderbot.NoticeManual},
}

// realistic is order data as it comes from a shop in each locale.
func realistic(locale string) Data {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	if locale == LocaleZH {
		return Data{Shop: "山野户外旗舰店", OrderName: "#100234", OrderID: "5501234", CustomerName: "陈小明",
			TrackingNumber: "SF1234567890123", Carrier: "顺丰速运", TicketID: "T20250307",
			ExpectedDelivery: time.Date(2025, 3, 7, 2, 0, 0, 0, time.UTC), Location: shanghai}
	}
	return Data{Shop: "Acme Outdoor Co", OrderName: "#100234", OrderID: "5501234", CustomerName: "Alexandra Chen",
		TrackingNumber: "1Z999AA10123456784", Carrier: "UPS", TicketID: "T20250307",
		ExpectedDelivery: time.Date(2025, 3, 7, 18, 0, 0, 0, time.UTC)}
}

func TestBuiltinCoverage(t *testing.T) {
	want := map[key]bool{}
	for kind, events := range builtinEvents {
		for _, e := range events {
			for _, l := range supported {
				want[key{l, kind, e}] = true
			}
		}
	}
	got := map[key]bool{}
	for k := range Builtin().byKey {
		got[k] = true
	}
	for k := range want {
		if !got[k] {
			t.Errorf("built-in %s/%s.%s missing", k.locale, k.kind, k.event)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("unexpected built-in %s/%s.%s: add it to builtinEvents if it is meant", k.locale, k.kind, k.event)
		}
	}
	// Every customer-facing kind has a template for each event its spec sends
	// a notice on by default, or the notifier would have nothing to send.
	for _, kind := range orderbot.Kinds() {
		spec, _ := orderbot.Spec(kind)
		for e, on := range map[orderbot.NoticeEvent]bool{
			orderbot.NoticeOpen: spec.Notices.OnOpen, orderbot.NoticeResolve: spec.Notices.OnResolve, orderbot.NoticeBreach: spec.Notices.OnBreach,
		} {
			if on && customerFacing(kind) && !slices.Contains(builtinEvents[kind], e) {
				t.Errorf("%s sends a notice on %s by default but has no built-in template", kind, e)
			}
		}
	}
}

// TestBuiltinRender renders every built-in in every locale with realistic data
// and, for resolve notices, every resolution code of the kind, plus sparse
// data; each part must be there, clean and short enough.
func TestBuiltinRender(t *testing.T) {
	s := Builtin()
	for kind, events := range builtinEvents {
		if kind == DefaultKind {
			continue // rendered through every kind below; see TestRenderDefault
		}
		spec, _ := orderbot.Spec(kind)
		for _, event := range events {
			resolutions := []string{""}
			if event == orderbot.NoticeResolve {
				resolutions = append(resolutions, spec.Resolutions...)
			}
			for _, locale := range supported {
				for _, res := range resolutions {
					full := realistic(locale)
					full.Resolution = res
					sparse := Data{Shop: full.Shop, OrderID: "5501234", Resolution: res}
					for name, d := range map[string]Data{"full": full, "sparse": sparse} {
						t.Run(strings.Join([]string{locale, string(kind), string(event), res, name}, "/"), func(t *testing.T) {
							r, err := s.Render(kind, event, locale, d)
							if err != nil {
								t.Fatal(err)
							}
							checkRendered(t, r, locale)
							if r.Segments < 1 || r.Segments > 2 {
								t.Errorf("SMS takes %d parts (%s), want 1 or 2: %q", r.Segments, r.Encoding, r.SMS)
							}
							if name == "full" && !strings.Contains(r.SMS, "#100234") {
								t.Errorf("SMS does not name the order: %q", r.SMS)
							}
							if name == "sparse" && !strings.Contains(r.SMS, "5501234") {
								t.Errorf("SMS does not fall back to the order id: %q", r.SMS)
							}
							if !strings.Contains(r.SMS, d.Shop) || !strings.Contains(r.Text, d.Shop) {
								t.Errorf("SMS or text does not name the shop")
							}
							if locale == LocaleEN && r.Encoding != EncodingGSM7 {
								t.Errorf("English SMS with ASCII data needs %s (a curly quote or dash?): %q", r.Encoding, r.SMS)
							}
							if locale == LocaleZH && !strings.HasPrefix(r.SMS, "【"+d.Shop+"】") {
								t.Errorf("Chinese SMS does not start with the 【shop】 signature: %q", r.SMS)
							}
						})
					}
				}
			}
		}
	}
}

// checkRendered asserts what every rendered notice must satisfy.
func checkRendered(t *testing.T, r Rendered, locale string) {
	t.Helper()
	if r.Locale != locale {
		t.Errorf("Locale = %q, want %q", r.Locale, locale)
	}
	for part, v := range map[string]string{"subject": r.Subject, "sms": r.SMS, "text": r.Text, "html": r.HTML} {
		if v == "" {
			t.Errorf("%s is empty", part)
		}
		for _, bad := range []string{"<no value>", "{{", "}}"} {
			if strings.Contains(v, bad) {
				t.Errorf("%s holds %q: %q", part, bad, v)
			}
		}
		for _, c := range v {
			if unicode.IsControl(c) && c != '\n' {
				t.Errorf("%s holds control character %U", part, c)
			}
		}
	}
	if strings.ContainsAny(r.Subject, "\r\n") || utf8.RuneCountInString(r.Subject) > maxSubject {
		t.Errorf("bad subject %q", r.Subject)
	}
	if n, enc := SMSSegments(r.SMS); n != r.Segments || enc != r.Encoding {
		t.Errorf("Segments %d %s disagree with SMSSegments %d %s", r.Segments, r.Encoding, n, enc)
	}
	if !strings.HasPrefix(r.HTML, "<p>") {
		t.Errorf("HTML %q is not paragraphs", r.HTML)
	}
}

func TestRenderLocale(t *testing.T) {
	s := Builtin()
	d := realistic(LocaleEN)
	tests := []struct {
		locale, want, inSMS string
	}{
		{"zh-CN", LocaleZH, "在运输途中有所延误"},
		{"zh_cn", LocaleZH, "在运输途中有所延误"},
		{"zh-Hans-CN", LocaleZH, "在运输途中有所延误"},
		{"en-US", LocaleEN, "is delayed in transit"},
		{"fr", LocaleEN, "is delayed in transit"},
		{"", LocaleEN, "is delayed in transit"},
	}
	for _, tt := range tests {
		r, err := s.Render(orderbot.ShippingStalled, orderbot.NoticeManual, tt.locale, d)
		if err != nil {
			t.Fatalf("%q: %v", tt.locale, err)
		}
		if r.Locale != tt.want || !strings.Contains(r.SMS, tt.inSMS) {
			t.Errorf("%q: rendered %s %q, want %s with %q", tt.locale, r.Locale, r.SMS, tt.want, tt.inSMS)
		}
	}
}

func TestRenderDates(t *testing.T) {
	d := realistic(LocaleZH)
	d.Resolution = "moving_again"
	d.ExpectedDelivery = time.Date(2025, 3, 6, 20, 0, 0, 0, time.UTC) // 7 March in Shanghai
	r, err := Builtin().Render(orderbot.ShippingStalled, orderbot.NoticeResolve, "zh-CN", d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.SMS, "3月7日") || r.Params["date"] != "3月7日" {
		t.Errorf("date not written in the customer's zone: SMS %q, params %q", r.SMS, r.Params)
	}
	d.ExpectedDelivery = time.Time{}
	if r, err = Builtin().Render(orderbot.ShippingStalled, orderbot.NoticeResolve, "zh-CN", d); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.SMS, "预计") {
		t.Errorf("unknown date still promised: %q", r.SMS)
	}
	if _, ok := r.Params["date"]; ok {
		t.Errorf("unknown date in params: %q", r.Params)
	}
}

func TestRenderResolution(t *testing.T) {
	// A resolve notice must not claim a refund unless staff chose to refund.
	tests := []struct {
		resolution string
		refund     bool
	}{
		{"refunded", true},
		{"kept_with_consent", false},
		{"false_positive", false},
		{"", false},
	}
	for _, tt := range tests {
		d := realistic(LocaleEN)
		d.Resolution = tt.resolution
		r, err := Builtin().Render(orderbot.PaymentDuplicate, orderbot.NoticeResolve, "en", d)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(r.SMS, "refunded"); got != tt.refund {
			t.Errorf("resolution %q: SMS mentions a refund = %v: %q", tt.resolution, got, r.SMS)
		}
	}
}

func TestRenderHostileInput(t *testing.T) {
	const (
		crlf   = "#1001\r\nBcc: x@evil.example\r\n\r\nhi"
		markup = "<script>alert(1)</script> & Tom's <b>"
		mrkdwn = "*bold* <!channel> <http://x|y> _it_ `code`"
	)
	for _, locale := range supported {
		t.Run(locale, func(t *testing.T) {
			d := Data{
				Shop:           mrkdwn,
				OrderName:      crlf,
				CustomerName:   markup,
				TrackingNumber: "1Z\x00999\x07AA\x1b[31m\u202Eevil",
				Carrier:        "UPS\u2028Bcc: y@evil.example",
				TicketID:       "T1\x00",
			}
			r, err := Builtin().Render(orderbot.ShippingException, orderbot.NoticeOpen, locale, d)
			if err != nil {
				t.Fatal(err)
			}
			checkRendered(t, r, locale)
			if !strings.Contains(r.Subject, "#1001 Bcc: x@evil.example hi") {
				t.Errorf("subject %q does not show the order name on one line", r.Subject)
			}
			for part, v := range map[string]string{"sms": r.SMS, "text": r.Text} {
				if !strings.Contains(v, mrkdwn) {
					t.Errorf("%s does not show mrkdwn literally: %q", part, v)
				}
				if strings.Contains(v, "Bcc: x@evil.example\n") {
					t.Errorf("%s lets a value start a line: %q", part, v)
				}
				if !strings.Contains(v, "1Z999AA[31mevil") || strings.ContainsRune(v, '\u202E') {
					t.Errorf("%s: controls or bidi override not removed: %q", part, v)
				}
			}
			if !strings.Contains(r.Text, markup) {
				t.Errorf("text does not show markup literally: %q", r.Text)
			}
			for _, raw := range []string{"<script>", "<b>", "<!channel>", "<http://x|y>", "& Tom"} {
				if strings.Contains(r.HTML, raw) {
					t.Errorf("HTML holds unescaped %q: %q", raw, r.HTML)
				}
			}
			for _, esc := range []string{"&lt;script&gt;alert(1)&lt;/script&gt; &amp; Tom&#39;s &lt;b&gt;", "&lt;!channel&gt;"} {
				if !strings.Contains(r.HTML, esc) {
					t.Errorf("HTML lacks escaped %q: %q", esc, r.HTML)
				}
			}
		})
	}
}

func TestRenderParams(t *testing.T) {
	d := realistic(LocaleZH)
	d.Shop = "【官方】" + strings.Repeat("山", 40)
	d.OrderName = "#1001\r\n【银行】"
	d.TrackingNumber = ""
	r, err := Builtin().Render(orderbot.ShippingStalled, orderbot.NoticeOpen, "zh-CN", d)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"shop":    "[官方]" + strings.Repeat("山", 30) + "…",
		"order":   "#1001 [银行]",
		"name":    "陈小明",
		"carrier": "顺丰速运",
		"date":    "3月7日",
	}
	if !maps.Equal(r.Params, want) {
		t.Errorf("Params = %q, want %q", r.Params, want)
	}
	for k, v := range r.Params {
		if n := utf8.RuneCountInString(v); n > maxParam {
			t.Errorf("param %s has %d runes, over %d", k, n, maxParam)
		}
	}
}

func TestHas(t *testing.T) {
	s := Builtin()
	tests := []struct {
		kind  orderbot.Kind
		event orderbot.NoticeEvent
		want  bool
	}{
		{orderbot.PaymentDuplicate, orderbot.NoticeResolve, true},
		{orderbot.PaymentDuplicate, orderbot.NoticeOpen, false},
		{orderbot.ShippingLateDispatch, orderbot.NoticeBreach, true},
		{orderbot.ShippingStalled, orderbot.NoticeOpen, true},
		{orderbot.ShippingNoPickup, orderbot.NoticeOpen, false},
		{orderbot.CustomerInvalidAddr, orderbot.NoticeResolve, false},
		{orderbot.InventoryOversold, orderbot.NoticeOpen, true}, // sent to each order it delays
		{orderbot.InventoryOversold, orderbot.NoticeResolve, false},
		{orderbot.InventoryLowStock, orderbot.NoticeManual, false},
		{orderbot.SystemSourceDown, orderbot.NoticeManual, false},
		{orderbot.SystemStuck, orderbot.NoticeOpen, false},
		{"payment.unknown", orderbot.NoticeManual, false},
		{DefaultKind, orderbot.NoticeManual, false},
		{orderbot.ShippingStalled, "reopen", false},
	}
	for _, tt := range tests {
		if got := s.Has(tt.kind, tt.event); got != tt.want {
			t.Errorf("Has(%s, %s) = %v, want %v", tt.kind, tt.event, got, tt.want)
		}
	}
	// Staff can send a manual notice about every customer-facing kind.
	for _, k := range orderbot.Kinds() {
		if got := s.Has(k, orderbot.NoticeManual); got != customerFacing(k) {
			t.Errorf("Has(%s, manual) = %v, want %v", k, got, customerFacing(k))
		}
	}
}

func TestRenderErrors(t *testing.T) {
	s := Builtin()
	ok := realistic(LocaleEN)
	tests := []struct {
		name  string
		kind  orderbot.Kind
		event orderbot.NoticeEvent
		d     Data
		want  orderbot.ErrorKind
		msg   string
	}{
		{"internal kind", orderbot.InventorySyncLag, orderbot.NoticeOpen, ok, orderbot.KindNotFound, "internal kind"},
		{"internal kind manual", orderbot.SystemStuck, orderbot.NoticeManual, ok, orderbot.KindNotFound, "internal kind"},
		{"no template for event", orderbot.PaymentDuplicate, orderbot.NoticeOpen, ok, orderbot.KindNotFound, "no open notice template for payment.duplicate"},
		{"unknown kind", "payment.teleported", orderbot.NoticeManual, ok, orderbot.KindInvalid, "unknown kind"},
		{"default is not a kind", DefaultKind, orderbot.NoticeManual, ok, orderbot.KindInvalid, "unknown kind"},
		{"unknown event", orderbot.ShippingStalled, "later", ok, orderbot.KindInvalid, "unknown notice event"},
		{"no shop", orderbot.ShippingStalled, orderbot.NoticeOpen, Data{OrderName: "#1"}, orderbot.KindInvalid, "shop name"},
		{"shop only white space", orderbot.ShippingStalled, orderbot.NoticeOpen, Data{Shop: " \r\n", OrderName: "#1"}, orderbot.KindInvalid, "shop name"},
		{"no order", orderbot.ShippingStalled, orderbot.NoticeOpen, Data{Shop: "Acme"}, orderbot.KindInvalid, "order name or id"},
	}
	for _, tt := range tests {
		_, err := s.Render(tt.kind, tt.event, "en", tt.d)
		if !orderbot.IsKind(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v (%s), want %s containing %q", tt.name, err, orderbot.KindOf(err), tt.want, tt.msg)
		}
	}
}

// TestRenderDefault drops kinds' own manual templates to show the generic one
// takes over, in the customer's language before any other.
func TestRenderDefault(t *testing.T) {
	s := &Set{byKey: maps.Clone(Builtin().byKey)}
	delete(s.byKey, key{LocaleEN, orderbot.ShippingNoPickup, orderbot.NoticeManual})
	delete(s.byKey, key{LocaleZH, orderbot.ShippingNoPickup, orderbot.NoticeManual})
	delete(s.byKey, key{LocaleZH, orderbot.ShippingStalled, orderbot.NoticeManual})

	tests := []struct {
		name   string
		kind   orderbot.Kind
		locale string
		want   string // locale used
		inSMS  string
	}{
		{"generic en", orderbot.ShippingNoPickup, "en", LocaleEN, "we are checking a detail"},
		{"generic zh", orderbot.ShippingNoPickup, "zh", LocaleZH, "我们正在核对"},
		{"generic zh before own en", orderbot.ShippingStalled, "zh-CN", LocaleZH, "我们正在核对"},
		{"own en stays", orderbot.ShippingStalled, "en", LocaleEN, "delayed in transit"},
	}
	for _, tt := range tests {
		r, err := s.Render(tt.kind, orderbot.NoticeManual, tt.locale, realistic(tt.want))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if r.Locale != tt.want || !strings.Contains(r.SMS, tt.inSMS) {
			t.Errorf("%s: got %s %q, want %s with %q", tt.name, r.Locale, r.SMS, tt.want, tt.inSMS)
		}
		checkRendered(t, r, tt.want)
		if r.Segments < 1 || r.Segments > 2 {
			t.Errorf("%s: SMS takes %d parts: %q", tt.name, r.Segments, r.SMS)
		}
	}
	if !s.Has(orderbot.ShippingNoPickup, orderbot.NoticeManual) {
		t.Error("Has ignores the generic manual template")
	}
}

func TestLocales(t *testing.T) {
	s := Builtin()
	got := s.Locales()
	if !slices.Equal(got, []string{"en", "zh-CN"}) {
		t.Fatalf("Locales = %q", got)
	}
	got[0] = "xx"
	if s.Locales()[0] != "en" {
		t.Error("Locales exposes the set's own slice")
	}
}

func TestRenderConcurrent(t *testing.T) {
	s := Builtin()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			locale := supported[i%len(supported)]
			for range 50 {
				if _, err := s.Render(orderbot.ShippingOverdue, orderbot.NoticeOpen, locale, realistic(locale)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
