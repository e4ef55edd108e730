package probe

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/ftp"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/rtt"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
)

// CheckConfig builds what New builds of cfg's classes (their RTT and
// one-way analysers, the sieve of their filters) and returns the first
// error New would return for cfg, nil if none: the commands call it on
// every configuration they load, at start and for each new version of a
// watched file, so that no version is accepted that a probe then cannot
// start with. A filter error comes first as FILE:LINE: class "NAME":
// filter "...": what (the line of the filter); another one as FILE:
// class NAME: what.
func CheckConfig(cfg *config.Config) error {
	maxPDUBytes := pdu.DefaultSenderConfig().MaxPDUBytes // a run without collectors: the in-process link's
	if len(cfg.Collectors) > 0 {                         // the first collector's channel, as Channels gives New
		maxPDUBytes = pdu.SenderConfigFor(cfg.Collectors[0]).MaxPDUBytes
	}
	_, _, _, err := buildClasses(cfg, maxPDUBytes)
	var ce *classError
	if err == nil || errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("%s: %w", cfg.File(), err)
}

// checkChannels refuses no channel, and a channel whose PDU size (pdu.SenderConfig.
// MaxPDUBytes) is outside what a sender sends, [header + tag + trailer +
// 64, pdu.MaxFrameBytes]: the sender clamped it (0 became PDUs of 114
// bytes) while the one-way encoders, sized from it, took 0 for the
// 1400-byte default and built records those PDUs could not carry.
func checkChannels(channels []Channel) error {
	if len(channels) == 0 {
		return errors.New("probe: no collector channel")
	}
	lo, hi := pdu.HeaderLen+pdu.TagLen+pdu.TrailerLen+64, pdu.MaxFrameBytes
	for i, ch := range channels {
		if v := ch.Config.MaxPDUBytes; v < lo || v > hi {
			return fmt.Errorf("probe: channel %d: MaxPDUBytes %d outside [%d, %d] (a collector's max_pdu_bytes: 128 to 65507, 0 or absent: 1400)", i, v, lo, hi)
		}
	}
	return nil
}

// buildClasses makes the probe's classes of cfg, their analysers, and
// the sieve of their filters; sizeBins is the most size bins a class
// counts. maxPDUBytes is the first channel's PDU size (checkChannels),
// which bounds the one-way encoders' payload. Errors: a class's settings
// its analysers refuse (class NAME: what), a filter that does not compile
// (classError).
func buildClasses(cfg *config.Config, maxPDUBytes int) (classes []class, sieve *filter.Sieve, sizeBins int, err error) {
	filters := make([]string, len(cfg.Classes))
	classes = make([]class, len(cfg.Classes))
	var firstTCP *tcpconn.Tracker
	var firstFTP *ftp.Tracker
	for i := range cfg.Classes {
		c := &cfg.Classes[i]
		filters[i] = c.Filter
		classes[i] = class{cfg: c, fields: fieldBits(c), fold: c.FoldPortsAbove, idleNs: int64(c.IdleTimeoutS * 1e9), sizes: c.Has(config.AnalysisSizes), counters: c.Has(config.AnalysisCounters)}
		classes[i].mask = flow.NewMask(uint16(i), classes[i].fields, c.FoldPortsAbove)
		if c.Has(config.AnalysisRTT) {
			rc := rtt.DefaultConfig()
			rc.SlicesMs, rc.TimeoutNs, rc.Kinds = c.RTT.SlicesMs, int64(c.RTT.TimeoutS*1e9), c.RTT.Kinds
			if err := rc.Validate(); err != nil {
				return nil, nil, 0, fmt.Errorf("class %s: %w", c.Name, err)
			}
			classes[i].rtt = rtt.New(rc)
		}
		if c.Has(config.AnalysisOneway) {
			ow, err := newOwClass(c, maxPDUBytes)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("class %s: %w", c.Name, err)
			}
			classes[i].ow = ow
		}
		if c.Has(config.AnalysisFTP) {
			classes[i].ftp = ftp.New(ftp.FromTable(cfg.FTPTable))
			classes[i].ftp.SetClass(c.Name) // the rows' class column
			if firstFTP == nil {
				firstFTP = classes[i].ftp
			} else {
				classes[i].ftp.ShareIDs(firstFTP) // session_ids distinct across classes
			}
		}
		if c.Has(config.AnalysisTCP) {
			classes[i].tcp = tcpconn.New(tcpconn.FromTable(cfg.TCPTable))
			classes[i].bound = c.TCP.BoundaryOnly
			if firstTCP == nil {
				firstTCP = classes[i].tcp
			} else {
				classes[i].tcp.ShareIDs(firstTCP) // conn_ids distinct across classes
			}
		}
		if classes[i].sizes && len(c.SizeEdges)+1 > sizeBins {
			sizeBins = len(c.SizeEdges) + 1
		}
	}
	sieve, err = filter.Compile(filters)
	if err != nil {
		if ce := classFilterError(cfg, err); ce != nil {
			return nil, nil, 0, ce
		}
		return nil, nil, 0, err
	}
	return classes, sieve, sizeBins, nil
}

// newOwClass makes the one-way signer and encoder of class c (design
// 3.7); maxPDUBytes as buildClasses.
func newOwClass(c *config.Class, maxPDUBytes int) (*owClass, error) {
	mask, err := oneway.ParseMask(c.Oneway.Mask)
	if err != nil {
		return nil, err
	}
	signer, err := oneway.NewSigner(c.Oneway.SignatureBits, mask)
	if err != nil {
		return nil, err
	}
	maxPayload := max(64, maxPDUBytes-pdu.HeaderLen-pdu.TrailerLen-pdu.TagLen) // checkChannels: maxPDUBytes leaves 64 at least
	enc, err := oneway.NewEncoder(oneway.EncoderConfig{SignatureBits: c.Oneway.SignatureBits, MaxPayload: maxPayload, TimeUnitNs: c.Oneway.TimeUnitNs})
	if err != nil {
		return nil, err
	}
	return &owClass{signer: signer, enc: enc}, nil
}

// classFilterError returns a class's filter error from filter.Compile
// naming the file, the filter's line, the class and the filter; nil if
// err is not one.
func classFilterError(cfg *config.Config, err error) error {
	var ce *filter.CompileError
	if !errors.As(err, &ce) || ce.Class < 0 || ce.Class >= len(cfg.Classes) {
		return nil
	}
	cl := &cfg.Classes[ce.Class]
	// "filter %q: expected ...", not "filter %q: filter: expected ..."
	msg := strings.TrimPrefix(ce.Err.Error(), "filter: ")
	return &classError{msg: fmt.Sprintf("%s:%d: class %q: filter %q: %s", cfg.File(), cfg.ClassLine(ce.Class, "filter"), cl.Name, cl.Filter, msg), err: ce.Err}
}

// classError is a class's filter error as classFilterError words it,
// wrapping the filter package's error.
type classError struct {
	msg string
	err error
}

func (e *classError) Error() string { return e.msg }
func (e *classError) Unwrap() error { return e.err }

// FilterFaults is the config.Checker of the classes' filters: each
// filter the grammar refuses (filter.Parse), at its line and column, so
// that config.Load reports them with every other fault of the file.
func FilterFaults(cfg *config.Config) []*config.Error {
	var faults []*config.Error
	for i := range cfg.Classes {
		cl := &cfg.Classes[i]
		if _, err := filter.Parse(cl.Filter); err != nil {
			faults = append(faults, cfg.ClassFault(i, "filter", "%q (class %s): %s", cl.Filter, cl.Name, strings.TrimPrefix(err.Error(), "filter: ")))
		}
	}
	return faults
}
