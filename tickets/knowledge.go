package tickets

import (
	"context"

	"github.com/orderbot/orderbot"
	"github.com/orderbot/orderbot/store"
)

// Knowledge answers "how were tickets of this kind resolved before?" from the
// resolved tickets in the store, newest first. Staff resolutions come first:
// they carry a code and a note someone chose; automatic ones only say that the
// condition cleared, and fill the list only when there are too few of the
// others.
type Knowledge struct {
	Store *store.Store
	// Scan bounds how many resolved tickets of the kind are read per question;
	// default 200.
	Scan int
}

// PastResolutions implements bot.Knowledge.
func (k *Knowledge) PastResolutions(ctx context.Context, kind orderbot.Kind, limit int) ([]orderbot.Resolution, error) {
	if limit <= 0 {
		return nil, nil
	}
	scan := k.Scan
	if scan <= 0 {
		scan = 200
	}
	resolved, err := k.Store.List(ctx, store.Filter{State: orderbot.StateResolved, Kind: kind, Limit: scan})
	if err != nil {
		return nil, err
	}
	var staff, auto []orderbot.Resolution
	for _, t := range resolved {
		switch {
		case t.Resolution == nil:
		case t.Resolution.Auto:
			auto = append(auto, *t.Resolution)
		default:
			staff = append(staff, *t.Resolution)
		}
	}
	out := append(staff, auto...)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
