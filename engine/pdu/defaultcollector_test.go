package pdu

import (
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
)

// TestDefaultCollector: the defaults a collector's 0 or absent fields
// stand for in the config's errors (config.DefaultCollector) are the
// regulation SenderConfigFor gives them (DefaultSenderConfig, the spool
// bounds).
func TestDefaultCollector(t *testing.T) {
	got, want := EffectiveCollector(config.Collector{}), config.DefaultCollector()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EffectiveCollector of zeros:\n%+v\nconfig.DefaultCollector:\n%+v", got, want)
	}
}
