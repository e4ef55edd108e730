// Package collector is the collector engine (design 4): it receives PDU
// frames from probes, checks their CRC, acknowledges and de-duplicates them
// (pdu.Receiver), decodes their records and turns them into the rows of the
// output tables (engine/observe). It keeps the probes' own flow ids (design
// 3.2 and 4: collector-assigned ids were a mistake), so observations are
// valid even before their flow definition arrives.
package collector
