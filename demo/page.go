package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
)

// Page is the Slack stand-in's web page, served on loopback: it shows what the
// bot posted to the fake and sends the demo user's clicks and commands to the
// bot as signed Slack requests.
type Page struct {
	srv  *http.Server
	url  string
	done chan error
}

// StartPage serves the page for s on addr, which must be a loopback address
// ("127.0.0.1:0" picks a free port): the page acts as a workspace member
// without any login, so it must not be reachable from other machines. botURL
// is the base URL of orderbot's HTTP server; notices, when set, lists the
// customer messages the simulated providers received for the Notices tab;
// clock, when set, is the simulated time the page shows with its speed.
func StartPage(s *slackfake.Server, botURL, addr string, notices func() []slackfake.Notice, clock *Clock) (*Page, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, orderbot.Wrap(orderbot.KindInvalid, "demo.page", err, fmt.Sprintf("page address %q is not host:port", addr))
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, orderbot.Errorf(orderbot.KindInvalid, "demo.page", "page address %q is not a loopback address; the page has no login", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, orderbot.Wrap(orderbot.KindPermanent, "demo.page", err, "cannot listen on the page address "+addr)
	}
	opts := PageOptions(botURL)
	opts.Notices = notices
	if clock != nil {
		opts.Now, opts.Speed = clock.Now, clock.Speed()
	}
	ui := slackfake.NewUI(s, opts)
	p := &Page{
		srv:  &http.Server{Handler: ui, ReadHeaderTimeout: 5 * time.Second},
		url:  "http://" + ln.Addr().String() + "/",
		done: make(chan error, 1),
	}
	go func() { p.done <- p.srv.Serve(ln) }()
	return p, nil
}

// PageOptions is the page configuration of the demo workspace: channel names,
// the department leads as users to reassign to (StartPage adds the notices).
func PageOptions(botURL string) slackfake.UIOptions {
	names := map[string]string{EscalationChannel: "escalations"}
	var users []slackfake.User
	for dept, ch := range Channels {
		names[ch] = dept
		users = append(users, slackfake.User{ID: leadID(dept), Name: dept + "-lead",
			RealName: strings.ToUpper(dept[:1]) + dept[1:] + " Lead", TZ: "UTC"})
	}
	return slackfake.UIOptions{BotURL: botURL, User: slackfake.DemoUser, Users: users, ChannelNames: names}
}

// URL is the page's address, ending with a slash.
func (p *Page) URL() string { return p.url }

// Close stops the page, waiting up to five seconds for requests in flight.
func (p *Page) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	if serr := <-p.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return orderbot.Wrap(orderbot.KindTransient, "demo.page", err, "stopping the page")
	}
	return nil
}
