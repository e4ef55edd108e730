// Package collector is the collector engine (design 4): it receives PDU
// frames from probes, checks their CRC, acknowledges and de-duplicates them
// (pdu.Receiver), decodes their records and turns them into the rows of the
// output tables (engine/observe). It keeps the probes' own flow ids (design
// 3.2 and 4: collector-assigned ids were a mistake), so observations are
// valid even before their flow definition arrives; the ids of a probe's
// second and later runs (epochs) are offset by run<<48 so two runs never
// share one.
//
// Server is the collector process's serve loop: frames from a Transport
// (pdu.UDPListener) into the Collector, acknowledgements back (through an
// AckGate, or the journal), liveness events, refused frames reported once
// per tick (pdu_refused), and every WriteEvery the rows drained to an
// observe.Sink (engine/store) and committed; also at once when a probe's
// run finishes (its final report and everything before it in), the
// report acknowledged only after that write (a probe process that has
// ended has its rows in the output).
//
// A probe run ends with its final report. One that ends without it (the
// probe killed or crashed) is found when the probe's next run begins or
// at Finish: a probe_run_incomplete event, its open flows written with the
// totals of their last report, and those without any left out of flows
// (runend.go).
//
// # Durable acknowledgements (issue 13)
//
// An acknowledgement must mean that the PDU's rows survive a crash: the
// probe destroys what was acknowledged. Two designs were possible:
//
//   - acknowledge once the rows' part file is committed: simple, but most
//     of what a PDU changes is not rows yet (open flows and their totals,
//     one-way records waiting for the other hops, rows held for a
//     definition), so a crash would still lose acknowledged observations
//     unless that state were written with every part;
//   - a write-ahead log (chosen): every call that changes the collector's
//     rows is journalled before its effect is acknowledged, and a restart
//     replays the journal through a fresh engine.
//
// The journal (engine/journal, in <out>/.journal) records, in the order
// the server makes them: Apply(time, frame header, payload; with the
// frame's wire version when older than pdu.Version) for every frame
// Check passed (a duplicate without its payload; frames Accept would refuse
// are not journalled), Liveness(time, silence), ReportRefused(time,
// counts), Event(...), Switch (the new configuration's effective YAML:
// a replay switches at the same point; a switch also checkpoints, so
// a restart with the new version restores a state of that version), and
// every Drain and Finish. The engine is
// deterministic for a given sequence of calls (no wall clock, no map order
// in its output: replayPending sorts), so the replay rebuilds exactly the
// state the collector had. Acknowledgements are held until their frame's
// record is synced: a group commit every GroupCommit (2 ms) writes and
// fsyncs what was appended and releases the acknowledgements it covers.
//
// A drain's rows are written in three steps: its parts are planned (table
// -> part number, PlannedSink.Plan) and the plan journalled and synced,
// together with every record before it; the parts are written (each
// atomically: temporary file, fsync, rename); then a commit record. On
// restart, Recover replays the records, calls Drain exactly where the
// previous run did, drops the rows of drains whose commit is journalled,
// and writes the others into their planned parts (replacing a part the
// crash left complete: same rows), or into new parts if the crash came
// before the plan. Rows written = rows of an uninterrupted run, every row
// once: the kill -9 test compares them table by table.
//
// The collector keeps its state epoch (the build-time field of its
// acknowledgements) in the journal: after a restart it acknowledges under
// the same epoch, so probes do not re-send definitions (a collector whose
// journal was removed gets a new epoch, and the probes resynchronise).
// Stopping it (SIGTERM) drains what is resolved and checkpoints the rest:
// open flows and one-way records continue in the next run. IdleExit
// finishes (every row written, flows retired).
//
// Failures: when a journal write or fsync, or a part write, fails (a full
// disk), the server stops acknowledging at once, drops the acknowledgements
// it held (their PDUs are not durable), calls ServerOptions.OnFail (the
// collector process frees the disk space it reserved), writes a
// collector_write_failed event (journalled and synced if the journal still
// works, else straight to the sink), and Serve returns the error (the
// process exits non-zero). The probes keep retrying, in long retry mode if
// it lasts, and deliver once the collector runs again. Recover writes a
// collector_recovered event when the journal holds records after its last
// checkpoint: the previous run was killed, crashed or failed.
//
// Bound on disk: when the journal holds CheckpointBytes (64 MiB) since its
// last checkpoint, the next drain saves the collector's state
// (SaveState: receiver windows, definitions, open flows, one-way
// reconcilers, rows not drained yet) as a checkpoint and removes the
// journal segments it covers. The journal folder thus holds one
// checkpoint (the state: about as large as the collector's memory for
// it) plus at most CheckpointBytes plus one WriteEvery of records, plus a
// second checkpoint for the instant of the swap. A recovery replays at
// most that much.
//
// Replay protection: the receiver windows (per probe and epoch) are part
// of the journalled state, so a frame captured on the wire and sent again
// to a restarted collector is a duplicate (acknowledged, no rows) or, once
// its epoch is closed, refused.
package collector
