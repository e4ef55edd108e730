package observe

import (
	_ "embed"
	"encoding/json"
)

// ReferenceData is what go run ./internal/refgen finds in the code and
// writes to reference.json: the meaning of each column of the row types
// (their field comments, keyed RowType.column), the tables written outside
// engine/observe, every event kind the engines and commands emit (sorted
// by kind) and every PDU type of engine/pdu.
type ReferenceData struct {
	ColumnDocs    map[string]string
	DerivedTables []DerivedTable
	EventKinds    []EventKind
	PDUTypes      []PDUType
}

// referenceJSON is reference.json, written by go run ./internal/refgen.
//
//go:embed reference.json
var referenceJSON []byte

var reference = func() ReferenceData {
	var r ReferenceData
	if err := json.Unmarshal(referenceJSON, &r); err != nil {
		panic("engine/observe/reference.json: " + err.Error() + " (go run ./internal/refgen writes it)")
	}
	return r
}()

// columnDocs is the meaning of each column, keyed RowType.column: the
// field comments of the row types.
var columnDocs = reference.ColumnDocs

// DerivedTables are the tables written outside engine/observe: the
// rollups queries/rollup declares, replay's packet_index and
// queries/enrich's addresses.
var DerivedTables = reference.DerivedTables

// EventKinds lists every events.kind the engines and commands emit,
// found in their code, sorted by kind.
var EventKinds = reference.EventKinds

// PDUTypes lists the PDU types of engine/pdu (pdu_stats.pdu_type).
var PDUTypes = reference.PDUTypes
