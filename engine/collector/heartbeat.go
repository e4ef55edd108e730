package collector

import "github.com/tmonbench/tmonbench/engine/pdu"

// heartbeatOneway moves a probe's one-way watermark to a heartbeat's build
// time: the probe's clock when it sent it (its capture clock: design 3.14,
// "the probe is still alive"), its id the latest PDU the probe built
// (pdu.Sender.heartbeatAt). Once every PDU up to that id has arrived or
// been given up (the heartbeat's low watermark closes the ids destroyed),
// every observation the probe built before the heartbeat is in: it watched
// its link until then and saw nothing more. A probe watching a silent link
// is then told from a disconnected one (design 4.3): a packet it did not
// see is lost (RFC 7680), not dropped unreported while the probe is taken
// for silent (oneway_hop_silent). A heartbeat of another run than the one
// whose PDUs the reconcilers follow, of a run switched away from
// (preSwitch), of a finished run or naming a PDU not yet arrived moves
// nothing.
func (c *Collector) heartbeatOneway(h pdu.Header) {
	if len(c.ow.recs) == 0 || h.ID == 0 {
		return
	}
	if run, ok := c.ow.runs[h.ProbeID]; !ok || run != h.Epoch {
		return
	}
	if p := c.probes[h.ProbeID]; p == nil || p.finished {
		return
	}
	if c.preSwitch(h.ProbeID, h.Epoch) && !c.notSwitched(h) {
		return
	}
	if c.rx.Low(h.ProbeID, h.Epoch) < h.ID {
		return // a PDU built before the heartbeat is still to come
	}
	c.moveMark(h.ProbeID, h.BuildTimeNs)
}
