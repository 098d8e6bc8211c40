package demo

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/orderbot/orderbot"
)

func TestStartPageOnlyOnLoopback(t *testing.T) {
	s := StartSlack()
	defer s.Close()
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"localhost:0", true},
		{"[::1]:0", true},
		{"0.0.0.0:0", false},
		{":0", false},
		{"192.0.2.1:0", false},
		{"no-port", false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			p, err := StartPage(s, "http://127.0.0.1:1", tc.addr, nil, nil)
			if tc.ok {
				if err != nil {
					if strings.Contains(tc.addr, "::1") && orderbot.IsKind(err, orderbot.KindPermanent) {
						t.Skip("no IPv6 loopback here")
					}
					t.Fatalf("StartPage(%s): %v", tc.addr, err)
				}
				if err := p.Close(); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				p.Close()
				t.Fatalf("StartPage(%s) served a page without login beyond loopback", tc.addr)
			}
			if !orderbot.IsKind(err, orderbot.KindInvalid) {
				t.Fatalf("error kind %s, want invalid: %v", orderbot.KindOf(err), err)
			}
		})
	}
}

func TestPageShowsTheDemoWorkspace(t *testing.T) {
	s := StartSlack()
	defer s.Close()
	p, err := StartPage(s, "http://127.0.0.1:1", "127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	resp, err := http.Get(p.URL() + "api/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var st struct {
		User     struct{ ID string }
		Users    []struct{ ID, Name string }
		Channels []struct{ ID, Name string }
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var names []string
	for _, c := range st.Channels {
		names = append(names, c.Name+"="+c.ID)
	}
	want := "escalations=C0ESCALATION finance=C0FINANCE logistics=C0LOGISTICS support=C0SUPPORT tech=C0TECH warehouse=C0WAREHOUSE"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("channels %s, want %s", got, want)
	}
	if st.User.ID != "U0DEMO" || len(st.Users) != 1+len(Channels) {
		t.Fatalf("user %s, users %+v", st.User.ID, st.Users)
	}
	for _, u := range st.Users[1:] {
		if !strings.HasPrefix(u.ID, "U0LEAD") || !strings.HasSuffix(u.Name, " Lead") {
			t.Fatalf("lead %+v", u)
		}
	}
}
