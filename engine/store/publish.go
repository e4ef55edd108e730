package store

import (
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
)

var _ observe.CaptureSink = (*Run)(nil)

// Commit implements observe.Sink: it makes the rows written so far visible
// to queries on the running run (the open parts are closed, the next Write
// starts new ones, and the staged run.json is updated), at most once per
// PublishEvery of wall time, so that a fast replay's parts stay sized by
// rows. Parts are not fsynced: Finish syncs the run once.
func (r *Run) Commit() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return ErrRunDone
	}
	now := time.Now()
	if len(r.open) == 0 && !r.published.IsZero() {
		return nil // nothing new to show
	}
	if !r.published.IsZero() && now.Sub(r.published) < r.publishEvery() {
		return nil
	}
	return r.publishLocked(now)
}

// publishLocked closes the open parts and updates the staged run.json (r.mu
// held); now is the publish's time (Commit's wall time, CommitAt's capture
// time: r.published, each compared only with its own).
func (r *Run) publishLocked(now time.Time) error {
	if len(r.open) > 0 {
		// The throttle starts with the first rows: the schema-only
		// start of the run does not delay them.
		r.published = now
	}
	if err := r.closeOpen(); err != nil {
		return err
	}
	return r.writeManifest(StateRunning)
}

// CommitAt implements observe.CaptureSink: Commit, told the capture time
// of the rows written so far (Unix ns: the collector's clock at the
// drain). With PublishByCapture, the rows are made visible by capture time
// instead of wall time: at the first Commit with rows, then once the
// capture time passed the last publish by PublishEvery or by a quarter of
// the capture time since the first, whichever is longer. The part files
// are then cut where the capture says, whatever the speed of the machine
// and the number of workers (issue 14: `replay --workers N` gives the
// same bytes; at 5 s of wall time, a slower run cut more parts), and
// their number grows with the logarithm of the capture's length (about
// 40 publishes for a day of capture, where a publish every 5 s of
// capture time would cut 17,280 parts of every table). Tables still
// appear as the run goes: at full speed a table is at most about a
// quarter of the run's wall time late.
func (r *Run) CommitAt(captureNs int64) error {
	if !r.PublishByCapture || captureNs <= 0 { // no capture time yet: the schema-only start
		return r.Commit()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return ErrRunDone
	}
	if len(r.open) == 0 && !r.published.IsZero() {
		return nil // nothing new to show
	}
	if !r.published.IsZero() && captureNs < r.capNext {
		return nil
	}
	if len(r.open) > 0 {
		if r.published.IsZero() {
			r.capFirst = captureNs
		}
		r.capNext = captureNs + max(int64(r.publishEvery()), (captureNs-r.capFirst)/4)
	}
	return r.publishLocked(time.Unix(0, captureNs)) // the publish's time on the capture clock: no wall time
}

// publishEvery is PublishEvery, DefaultPublishEvery when zero.
func (r *Run) publishEvery() time.Duration {
	if r.PublishEvery > 0 {
		return r.PublishEvery
	}
	return DefaultPublishEvery
}

// DefaultPublishEvery is Run.PublishEvery when zero.
const DefaultPublishEvery = 5 * time.Second
