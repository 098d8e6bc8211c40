package jobs

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot/bot"
	"github.com/orderbot/orderbot/internal/fakes/slackfake"
	"github.com/orderbot/orderbot/store"
)

// testBot is a bot on the local Slack fake, for the jobs that post to Slack.
func testBot(t *testing.T, fake *slackfake.Server, st *store.Store, clock func() time.Time, loc *time.Location) *bot.Bot {
	t.Helper()
	b, err := bot.New(bot.Options{BotToken: fake.Token(), SigningSecret: fake.SigningSecret(), APIURL: fake.APIURL(),
		Location: loc, Clock: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Departments: map[string]bot.Department{"ops": {Channel: "C0OPS"}}}, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b
}

// runReplicas runs every replica's job at once, as replicas do, and returns
// the sum of what they posted.
func runReplicas[J any](t *testing.T, jobs []J, run func(J) (int, error)) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	sum := 0
	for _, j := range jobs {
		wg.Go(func() {
			n, err := run(j)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			sum += n
			mu.Unlock()
		})
	}
	wg.Wait()
	return sum
}
