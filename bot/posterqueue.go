package bot

import (
	"container/heap"
	"time"
)

// The poster's work queues. A backlog of thousands of tickets must cost the
// same per card as a backlog of ten, so nothing here scans all pending work: a
// ticket's work sits in exactly one place until dispatch takes it, and dispatch
// touches only the work it hands to a channel worker.
//
//   - due: ready now, first in first out;
//   - later: waiting for its notBefore (a retry, a backoff), a heap by time;
//   - blocked: ready, but its channel's worker queue is full; it goes back to due
//     as that worker finishes jobs, so a backed-up channel's work is neither
//     reloaded nor re-planned round after round;
//   - behind: a ticket whose earlier work is in flight; it becomes due when that
//     work finishes.
//
// A work that was replaced in pending (finish merges a retry with what arrived
// meanwhile) may still sit in a queue; it is skipped when taken out.

type workPlace uint8

const (
	placeNone workPlace = iota
	placeDue
	placeLater
	placeBlocked
	placeBehind
)

type workQueue struct {
	due     []*ticketWork
	dueHead int
	later   laterHeap
	blocked map[string][]*ticketWork
}

type laterHeap []*ticketWork

func (h laterHeap) Len() int           { return len(h) }
func (h laterHeap) Less(i, j int) bool { return h[i].notBefore.Before(h[j].notBefore) }
func (h laterHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *laterHeap) Push(x any)        { *h = append(*h, x.(*ticketWork)) }
func (h *laterHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return w
}

// schedule puts w where its notBefore says: due now or later.
func (p *Poster) schedule(w *ticketWork, now time.Time) {
	if w.place != placeNone {
		return
	}
	if w.notBefore.After(now) {
		w.place = placeLater
		heap.Push(&p.q.later, w)
		return
	}
	w.place = placeDue
	p.q.due = append(p.q.due, w)
}

// retryAt makes w wait until at before its next attempt.
func (p *Poster) retryAt(w *ticketWork, at time.Time) {
	w.notBefore = at
	w.place = placeNone
	p.schedule(w, time.Now())
}

// block parks w until its channel's worker has room.
func (p *Poster) block(w *ticketWork) {
	if p.q.blocked == nil {
		p.q.blocked = map[string][]*ticketWork{}
	}
	w.place = placeBlocked
	p.q.blocked[w.channel] = append(p.q.blocked[w.channel], w)
}

// unblock moves up to n parked works of channel back to due.
func (p *Poster) unblock(channel string, n int) {
	ws := p.q.blocked[channel]
	k := min(n, len(ws))
	for _, w := range ws[:k] {
		w.place = placeDue
		p.q.due = append(p.q.due, w)
	}
	if k == len(ws) {
		delete(p.q.blocked, channel)
		return
	}
	p.q.blocked[channel] = ws[k:]
}

// nextDue takes the next live work off due (moving matured later work there
// first), or nil.
func (p *Poster) nextDue(now time.Time) *ticketWork {
	for p.q.later.Len() > 0 && !p.q.later[0].notBefore.After(now) {
		w := heap.Pop(&p.q.later).(*ticketWork)
		w.place = placeDue
		p.q.due = append(p.q.due, w)
	}
	for p.q.dueHead < len(p.q.due) {
		w := p.q.due[p.q.dueHead]
		p.q.due[p.q.dueHead] = nil
		p.q.dueHead++
		if p.q.dueHead > 1024 && p.q.dueHead*2 > len(p.q.due) {
			p.q.due = append(p.q.due[:0], p.q.due[p.q.dueHead:]...)
			p.q.dueHead = 0
		}
		if w.place != placeDue || p.pending[w.id] != w {
			continue // replaced, or moved since it was queued
		}
		w.place = placeNone
		return w
	}
	return nil
}

// hasDue reports whether work is waiting in due (possibly stale entries).
func (p *Poster) hasDue() bool { return p.q.dueHead < len(p.q.due) }

// nextLater is when the earliest waiting work matures, or zero.
func (p *Poster) nextLater() time.Time {
	if p.q.later.Len() == 0 {
		return time.Time{}
	}
	return p.q.later[0].notBefore
}
