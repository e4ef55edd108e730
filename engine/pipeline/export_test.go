package pipeline

// SetFinalFlowChunk sets the rows per chunk of the final flows table
// until restore is called.
func SetFinalFlowChunk(n int) (restore func()) {
	old := finalFlowChunk
	finalFlowChunk = n
	return func() { finalFlowChunk = old }
}

// SetFlowsInGoroutine makes Parallel runs write the final flows table's
// chunks in a goroutine of their own (the default) or in the run's, until
// restore is called.
func SetFlowsInGoroutine(on bool) (restore func()) {
	old := flowsInGoroutine
	flowsInGoroutine = on
	return func() { flowsInGoroutine = old }
}
