package observe

import "strconv"

// protocolNames are the IP protocol numbers with a name in the tables:
// the IANA keyword in lower case ("Assigned Internet Protocol Numbers"),
// ipv6-icmp written icmp6 as tcpdump and Wireshark's filters write it.
var protocolNames = [...]struct {
	n    uint8
	name string
}{
	{1, "icmp"}, {2, "igmp"}, {6, "tcp"}, {17, "udp"}, {47, "gre"}, {50, "esp"}, {51, "ah"},
	{58, "icmp6"}, {89, "ospf"}, {103, "pim"}, {112, "vrrp"}, {132, "sctp"},
}

// ProtocolName returns the name of IP protocol p in every table, query
// and screen (the flows table's name column, e.g. "…/igmp"; the summary
// query's protocol column through the SQL macro protocol_name, which
// queries.Open defines from ProtocolNames): the IANA keyword in lower
// case (icmp6 for ipv6-icmp), or the number in decimal when it has none.
func ProtocolName(p uint8) string {
	for _, e := range protocolNames {
		if e.n == p {
			return e.name
		}
	}
	return strconv.Itoa(int(p))
}

// ProtocolNames calls fn for every IP protocol number that has a name
// (ProtocolName), in increasing order.
func ProtocolNames(fn func(p uint8, name string)) {
	for _, e := range protocolNames {
		fn(e.n, e.name)
	}
}
