package store

import (
	"context"
	_ "embed"
	"errors"

	"github.com/redis/go-redis/v9"
)

// Every Lua source lives in lua/ so it can be read and linted as Lua; no Lua is
// written in Go strings. Ticket scripts are the shared prelude (trim.lua,
// common.lua, rollup.lua) plus a body; notice scripts trim.lua and
// notice_common.lua plus a body; scripts that need Redis's clock start with
// redis_now.lua.
var (
	//go:embed lua/trim.lua
	luaTrim string
	//go:embed lua/common.lua
	luaCommon string
	//go:embed lua/rollup.lua
	luaRollup string
	//go:embed lua/fold.lua
	luaFold string
	//go:embed lua/upsert.lua
	luaUpsert string
	//go:embed lua/pending.lua
	luaPending string
	//go:embed lua/clearing.lua
	luaClearing string
	//go:embed lua/flapping.lua
	luaFlapping string
	//go:embed lua/transition.lua
	luaTransition string
	//go:embed lua/sweep.lua
	luaSweep string
	//go:embed lua/purge.lua
	luaPurge string
	//go:embed lua/msgref.lua
	luaMsgRef string
	//go:embed lua/get.lua
	luaGet string
	//go:embed lua/enqueue.lua
	luaEnqueue string
	//go:embed lua/demand.lua
	luaDemand string
	//go:embed lua/cursor.lua
	luaCursor string
	//go:embed lua/poll.lua
	luaPoll string
	//go:embed lua/lease.lua
	luaLease string
	//go:embed lua/contacts.lua
	luaContacts string
	//go:embed lua/redis_now.lua
	luaRedisNow string
	//go:embed lua/notice_common.lua
	luaNoticeCommon string
	//go:embed lua/slack_post_begin.lua
	luaSlackPostBegin string
	//go:embed lua/slack_post_finish.lua
	luaSlackPostFinish string
	//go:embed lua/slack_post_abort.lua
	luaSlackPostAbort string
	//go:embed lua/slack_post_renew.lua
	luaSlackPostRenew string
	//go:embed lua/slack_admit.lua
	luaSlackAdmit string
	//go:embed lua/slack_storm_breach.lua
	luaSlackStormBreach string
	//go:embed lua/slack_pace.lua
	luaSlackPace string
	//go:embed lua/notice_create.lua
	luaNoticeCreate string
	//go:embed lua/notice_begin.lua
	luaNoticeBegin string
	//go:embed lua/notice_finish.lua
	luaNoticeFinish string
	//go:embed lua/notice_defer.lua
	luaNoticeDefer string
	//go:embed lua/notice_recover.lua
	luaNoticeRecover string
	//go:embed lua/notice_settle.lua
	luaNoticeSettle string
	//go:embed lua/notice_renew.lua
	luaNoticeRenew string
)

func ticketScript(body string) *redis.Script {
	return redis.NewScript(luaTrim + "\n" + luaCommon + "\n" + luaRollup + "\n" + body)
}

func noticeScript(body string) *redis.Script {
	return redis.NewScript(luaTrim + "\n" + luaNoticeCommon + "\n" + body)
}

// withRedisNow is a script that reads Redis's clock (NOWMS) first.
func withRedisNow(body string) *redis.Script {
	return redis.NewScript(luaRedisNow + "\n" + body)
}

var (
	scriptUpsert     = ticketScript(luaPending + "\n" + luaUpsert)
	scriptClearing   = redis.NewScript(luaClearing)
	scriptFlapping   = ticketScript(luaFlapping)
	scriptTransition = ticketScript(luaTransition)
	scriptSweep      = ticketScript(luaSweep)
	scriptPurge      = ticketScript(luaPurge)
	scriptMsgRef     = ticketScript(luaMsgRef)
	scriptGet        = ticketScript(luaGet)
	scriptEnqueue    = redis.NewScript(luaTrim + "\n" + luaEnqueue)
	scriptDemand     = redis.NewScript(luaDemand)
	scriptCursor     = redis.NewScript(luaCursor)
	scriptPoll       = redis.NewScript(luaPoll)
	scriptLease      = redis.NewScript(luaLease)
	scriptFold       = redis.NewScript(luaFold)
	scriptContacts   = redis.NewScript(luaContacts)

	scriptSlackPostBegin   = withRedisNow(luaSlackPostBegin)
	scriptSlackPostFinish  = redis.NewScript(luaSlackPostFinish)
	scriptSlackPostAbort   = redis.NewScript(luaSlackPostAbort)
	scriptSlackPostRenew   = withRedisNow(luaSlackPostRenew)
	scriptSlackAdmit       = redis.NewScript(luaSlackAdmit)
	scriptSlackStormBreach = redis.NewScript(luaSlackStormBreach)
	scriptSlackPace        = withRedisNow(luaSlackPace)

	scriptNoticeCreate  = noticeScript(luaNoticeCreate)
	scriptNoticeBegin   = redis.NewScript(luaNoticeBegin)
	scriptNoticeFinish  = noticeScript(luaNoticeFinish)
	scriptNoticeDefer   = noticeScript(luaNoticeDefer)
	scriptNoticeRecover = noticeScript(luaNoticeRecover)
	scriptNoticeSettle  = noticeScript(luaNoticeSettle)
	scriptNoticeRenew   = redis.NewScript(luaNoticeRenew)
)

// scripts lists every Lua script of the package; loadScripts loads them all at
// start, because go-redis does not fall back from EVALSHA to EVAL inside a
// pipeline, and the store pipelines EVALSHA.
var scripts = []*redis.Script{
	scriptUpsert, scriptTransition, scriptSweep, scriptPurge, scriptMsgRef, scriptGet,
	scriptEnqueue, scriptDemand, scriptCursor, scriptPoll, scriptLease, scriptClearing, scriptFlapping, scriptFold, scriptContacts,
	scriptSlackPostBegin, scriptSlackPostFinish, scriptSlackPostAbort, scriptSlackAdmit, scriptSlackStormBreach, scriptSlackPace,
	scriptSlackPostRenew, scriptNoticeRenew,
	scriptNoticeCreate, scriptNoticeBegin, scriptNoticeFinish, scriptNoticeDefer, scriptNoticeRecover, scriptNoticeSettle,
}

func (s *Store) loadScripts(ctx context.Context) error {
	for _, sc := range scripts {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return err
		}
	}
	return nil
}

// isNoScript reports whether Redis has lost its script cache (a restart, a
// failover to a replica, SCRIPT FLUSH).
func isNoScript(err error) bool {
	return err != nil && (errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT"))
}

// evalSha runs one script by digest and reloads every script once when Redis
// has forgotten them.
func (s *Store) evalSha(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	cmd := sc.EvalSha(ctx, s.rdb, keys, args...)
	if isNoScript(cmd.Err()) {
		if err := s.loadScripts(ctx); err != nil {
			return cmd
		}
		cmd = sc.EvalSha(ctx, s.rdb, keys, args...)
	}
	return cmd
}

// evalShaBatch runs one script per argument list in one pipeline, in order.
// Calls that met NOSCRIPT did not run, so after a reload exactly those are run
// again. The returned commands hold each call's result or error.
func (s *Store) evalShaBatch(ctx context.Context, sc *redis.Script, keys []string, argLists [][]any) ([]*redis.Cmd, error) {
	calls := make([]scriptCall, len(argLists))
	for i, a := range argLists {
		calls[i] = scriptCall{keys: keys, args: a}
	}
	return s.evalShaCalls(ctx, sc, calls)
}

// scriptCall is one script call with its own keys.
type scriptCall struct {
	keys []string
	args []any
}

// evalShaCalls is evalShaBatch for calls with keys of their own (one shard
// each, say).
func (s *Store) evalShaCalls(ctx context.Context, sc *redis.Script, calls []scriptCall) ([]*redis.Cmd, error) {
	cmds := make([]*redis.Cmd, len(calls))
	run := func(idx []int) error {
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range idx {
				cmds[i] = sc.EvalSha(ctx, p, calls[i].keys, calls[i].args...)
			}
			return nil
		})
		return err
	}
	all := make([]int, len(calls))
	for i := range all {
		all[i] = i
	}
	err := run(all)
	var again []int
	for i, c := range cmds {
		if isNoScript(c.Err()) {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		if lerr := s.loadScripts(ctx); lerr != nil {
			return cmds, lerr
		}
		err = run(again)
	}
	if err != nil {
		// Pipelined returns the first failed command's error; report the first
		// failure in argument order so callers see a stable error.
		for _, c := range cmds {
			if c.Err() != nil {
				return cmds, c.Err()
			}
		}
	}
	return cmds, err
}
