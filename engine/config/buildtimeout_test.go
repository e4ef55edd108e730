package config

import (
	"errors"
	"testing"
)

// TestMaxBuildBelowOnewayTimeout: the collector classifies a one-way
// packet once every hop's clock (the build time of the latest PDU of that
// hop's probe) has passed it plus timeout_s, and a probe may hold an
// observation up to max_build_s before building its PDU: with max_build_s
// at or above timeout_s a packet can be classified lost at a hop whose
// observation was still waiting in its probe. Nothing checked the pair (1
// s and 5 s by default). A config that breaks it is refused, naming the
// field, its value and the bound; the defaults and a max_build_s just
// below pass.
func TestMaxBuildBelowOnewayTimeout(t *testing.T) {
	const class = "classes:\n  - name: o\n    filter: udp\n    analyses: [oneway]\n    oneway: {hops: [A, B], timeout_s: %s}\n"
	for _, c := range []struct{ yaml, want string }{
		{"collectors:\n  - {name: c, address: \"127.0.0.1:4739\", max_build_s: 5}\n" + fmtClass(class, "5"),
			"c.yaml:2:42: collectors[0].max_build_s: must be below 5, the one-way timeout_s of class \"o\": a PDU may hold an observation that long before it is built, and the collector classifies a packet timeout_s after it (0 or absent: 1), got 5"},
		{"collectors:\n  - {name: c, address: \"127.0.0.1:4739\"}\n" + fmtClass(class, "0.5"),
			"c.yaml:2:6: collectors[0].max_build_s: must be below 0.5, the one-way timeout_s of class \"o\": a PDU may hold an observation that long before it is built, and the collector classifies a packet timeout_s after it (0 or absent: 1), got 1"},
		{fmtClass(class, "1"),
			"c.yaml:5:28: classes[0].oneway.timeout_s: must be above 1, the max_build_s of the default regulation (no collector listed): a PDU may hold an observation that long before it is built, and the collector classifies a packet timeout_s after it (0 or absent: 5), got 1"},
	} {
		_, err := Parse([]byte(c.yaml), "c.yaml")
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.yaml, err, c.want)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v does not wrap ErrInvalid", c.yaml, err)
		}
	}
	for _, ok := range []string{
		fmtClass(class, "0"), // the defaults: 1 s below 5 s
		"collectors:\n  - {name: c, address: \"127.0.0.1:4739\", max_build_s: 4.9}\n" + fmtClass(class, "5"),
		"collectors:\n  - {name: c, address: \"127.0.0.1:4739\", max_build_s: 0.2}\n" + fmtClass(class, "0.5"),
	} {
		if _, err := Parse([]byte(ok), "c.yaml"); err != nil {
			t.Errorf("%q: %v, want it accepted", ok, err)
		}
	}
}

func fmtClass(format, timeout string) string {
	out := []byte{}
	for i := 0; i < len(format); i++ {
		if format[i] == '%' && i+1 < len(format) && format[i+1] == 's' {
			out = append(out, timeout...)
			i++
			continue
		}
		out = append(out, format[i])
	}
	return string(out)
}
