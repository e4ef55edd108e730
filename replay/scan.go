package replay

// ScanInterfaces reads the capture at path to its end and returns every
// interface it describes, in file-wide order (Meta.Iface indexes it): the
// one of a classic pcap (read no further), every Interface Description Block of every section
// for a pcapng (interfaces met in later sections included, which Open,
// reading only up to the first packet, does not know yet). Packet blocks
// are read but not decoded. A capture damaged after its header gives the
// interfaces described before the damage and no error; the errors are
// Open's.
func ScanInterfaces(path string) ([]Interface, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.format == FormatPcapNG && f.pendErr == nil {
		for {
			b, err := f.readBlock()
			if err != nil {
				break // io.EOF, or damage: keep what was described
			}
			if !isPacket(b.typ) && f.meta(b) != nil {
				break
			}
		}
	}
	return f.Interfaces(), nil
}
