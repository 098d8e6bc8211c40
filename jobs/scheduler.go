package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Coordinator is what replicas share to agree on who runs a job: a claim per
// activation (each tick runs once) and a lease held while the job runs (no two
// replicas run the same job at once, even when one overruns its interval). The
// store implements it in Redis.
type Coordinator interface {
	ClaimTick(ctx context.Context, job string, tick time.Time, ttl time.Duration) (bool, error)
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Job is one scheduled unit of work.
type Job struct {
	Name string
	// Spec is a cron spec or "@every <duration>" (see ParseSchedule).
	Spec string
	// Run is the job body. It must honour ctx.
	Run func(ctx context.Context) error
	// Timeout bounds one run; default the schedule interval, at least 30s. The
	// lease that keeps other replicas out lasts exactly this long, and the run's
	// context is cancelled when it ends, so a lease never expires under a run.
	Timeout time.Duration
}

// Outcome says what became of one activation.
type Outcome string

// Activation outcomes, also the values of the metric's outcome label.
const (
	OutcomeOK          Outcome = "ok"
	OutcomeFailed      Outcome = "failed"
	OutcomePanicked    Outcome = "panicked"
	OutcomeOverlap     Outcome = "skipped_overlap"       // the previous run on this replica is still going
	OutcomeOtherRan    Outcome = "skipped_other_replica" // another replica claimed this tick or holds the lease
	OutcomeCoordFailed Outcome = "skipped_redis_error"   // could not ask Redis; not run, to be safe
)

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	Coordinator Coordinator
	// Holder names this replica in leases (host name plus pid is a good choice).
	Holder   string
	Location *time.Location // default UTC
	Logger   *slog.Logger
	Metrics  *Metrics // may be nil
	Now      func() time.Time
}

// Scheduler runs jobs on their schedules with recovery, overlap guard and
// replica coordination. Stop it to wait for running jobs.
type Scheduler struct {
	opts    SchedulerOptions
	cron    *cron.Cron
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	job     Job
	sched   Schedule
	running atomic.Bool
}

// NewScheduler returns a stopped Scheduler.
func NewScheduler(opts SchedulerOptions) *Scheduler {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		opts:    opts,
		cron:    cron.New(cron.WithLocation(opts.Location)),
		ctx:     ctx,
		cancel:  cancel,
		entries: map[string]*entry{},
	}
}

// Add registers a job. A duplicate name or a bad spec is an error.
func (s *Scheduler) Add(j Job) error {
	if j.Name == "" || j.Run == nil {
		return fmt.Errorf("jobs: a job needs a name and a body")
	}
	sched, err := ParseSchedule(j.Spec)
	if err != nil {
		return fmt.Errorf("jobs: %s: %w", j.Name, err)
	}
	if j.Timeout <= 0 {
		j.Timeout = max(sched.Interval, 30*time.Second)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.entries[j.Name]; dup {
		return fmt.Errorf("jobs: job %q added twice", j.Name)
	}
	e := &entry{job: j, sched: sched}
	s.entries[j.Name] = e
	s.cron.Schedule(sched, cron.FuncJob(func() {
		s.Activate(s.ctx, j.Name, sched.Tick(s.opts.Now()))
	}))
	return nil
}

// Start starts firing jobs.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops firing, cancels running jobs' contexts after ctx expires, and waits
// for them to return.
func (s *Scheduler) Stop(ctx context.Context) {
	done := s.cron.Stop() // waits for running jobs via its own context
	select {
	case <-done.Done():
	case <-ctx.Done():
		s.cancel()
		<-done.Done()
	}
	s.cancel()
}

// Activate runs one activation of the named job as the scheduler would: it is
// exported so tests (and `poll --once`) drive jobs without waiting for the clock.
func (s *Scheduler) Activate(ctx context.Context, name string, tick time.Time) Outcome {
	s.mu.Lock()
	e := s.entries[name]
	s.mu.Unlock()
	if e == nil {
		return OutcomeFailed
	}
	out := s.activate(ctx, e, tick)
	if s.opts.Metrics != nil {
		s.opts.Metrics.JobRuns.WithLabelValues(name, string(out)).Inc()
	}
	return out
}

func (s *Scheduler) activate(ctx context.Context, e *entry, tick time.Time) Outcome {
	log := s.opts.Logger.With("job", e.job.Name, "tick", tick.UTC().Format(time.RFC3339))
	if !e.running.CompareAndSwap(false, true) {
		log.Warn("job skipped: previous run still going")
		return OutcomeOverlap
	}
	defer e.running.Store(false)

	if c := s.opts.Coordinator; c != nil {
		// Lease first, then the tick: a replica that finds another still running
		// the job leaves the tick unclaimed, so the busy one can run it when it
		// is free instead of the tick being lost.
		ok, err := c.AcquireLease(ctx, "job:"+e.job.Name, s.opts.Holder, e.job.Timeout)
		if err != nil {
			log.Error("job skipped: cannot take lease", "err", err)
			return OutcomeCoordFailed
		}
		if !ok {
			log.Debug("job skipped: another replica is running it")
			return OutcomeOtherRan
		}
		defer func() {
			// Release with a fresh context: the run's may be cancelled.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := c.ReleaseLease(rctx, "job:"+e.job.Name, s.opts.Holder); err != nil {
				log.Warn("releasing job lease", "err", err)
			}
		}()
		claimTTL := max(2*e.sched.Interval, time.Minute)
		ok, err = c.ClaimTick(ctx, e.job.Name, tick, claimTTL)
		if err != nil {
			log.Error("job skipped: cannot claim tick", "err", err)
			return OutcomeCoordFailed
		}
		if !ok {
			return OutcomeOtherRan
		}
	}

	runCtx, cancel := context.WithTimeout(ctx, e.job.Timeout)
	defer cancel()
	start := s.opts.Now()
	err := s.runRecovered(runCtx, e.job)
	d := s.opts.Now().Sub(start)
	var pe *panicError
	switch {
	case errors.As(err, &pe):
		log.Error("job panicked", "err", pe.value, "stack", pe.stack, "duration", d)
		return OutcomePanicked
	case err != nil:
		log.Error("job failed", "err", err, "duration", d)
		return OutcomeFailed
	}
	log.Debug("job done", "duration", d)
	return OutcomeOK
}

type panicError struct {
	value any
	stack string
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// runRecovered runs the body and turns a panic into an error, so one bad record
// never takes the process (and every other job) down.
func (s *Scheduler) runRecovered(ctx context.Context, j Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: string(debug.Stack())}
		}
	}()
	return j.Run(ctx)
}
