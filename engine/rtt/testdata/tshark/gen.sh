#!/bin/sh
# Regenerates the tshark reference pairs used by samples_test.go (tshark 4.0.17).
# Run from this folder with the module's ../shared/samples beside the repo:
#   sh gen.sh ../../../../../shared/samples
# One file per capture: "# command" lines, then one line per response that
# tshark pairs: kind <TAB> response frame.time_epoch <TAB> rtt in seconds.
set -e
S=${1:-../../../../../shared/samples}
for f in $(cd "$S" && ls pcap/dns/* pcap/snmp/* pcap/ntp/* pcap/icmp-echo/* \
         edge/12-dns-tcp-pipelined-split/input.pcap edge/15-linux-sll2/input.pcap); do
  out=$(echo "$f" | sed 's#/input.pcap##; s#^pcap/##; s#^edge/#edge-#; s#/#_#g').tsv
  {
    echo "# tshark -2 -r $f -Y dns.time -T fields -e frame.time_epoch -e dns.time"
    echo "# tshark -2 -r $f -Y icmp.resptime -T fields -e frame.time_epoch -e icmp.resptime   (ms)"
    echo "# tshark -2 -r $f -Y icmpv6.resptime -T fields -e frame.time_epoch -e icmpv6.resptime   (ms)"
    echo "# tshark -2 -r $f -Y snmp.time -T fields -e frame.time_epoch -e snmp.time"
    echo "# tshark -2 -r $f -Y ntp.delta_time -T fields -e frame.time_epoch -e ntp.delta_time"
    tshark -2 -r "$S/$f" -Y dns.time -T fields -e frame.time_epoch -e dns.time 2>/dev/null | sed 's/^/dns\t/'
    tshark -2 -r "$S/$f" -Y icmp.resptime -T fields -e frame.time_epoch -e icmp.resptime 2>/dev/null |
      awk -F'\t' '{printf "icmp_echo\t%s\t%.6f\n", $1, $2/1000}'
    tshark -2 -r "$S/$f" -Y icmpv6.resptime -T fields -e frame.time_epoch -e icmpv6.resptime 2>/dev/null |
      awk -F'\t' '{printf "icmp_echo\t%s\t%.6f\n", $1, $2/1000}'
    tshark -2 -r "$S/$f" -Y snmp.time -T fields -e frame.time_epoch -e snmp.time 2>/dev/null | sed 's/^/snmp\t/'
    tshark -2 -r "$S/$f" -Y ntp.delta_time -T fields -e frame.time_epoch -e ntp.delta_time 2>/dev/null | sed 's/^/ntp\t/'
  } > "$out"
done
