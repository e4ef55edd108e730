package main

import (
	"database/sql"
	"fmt"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// noTransferReason says why ftp_transfers is empty when ftp_sessions is
// not: the FTP sessions followed asked for no transfer (a password
// brute force, chrissanders_ppa1e_ftp-crack.pcap: 530 to every PASS,
// no RETR, STOR or LIST), with how many sessions, commands and logins
// there were. "" when ftp_sessions is empty, counts a transfer (rows then
// missing for another reason) or cannot be read.
func noTransferReason(db *sql.DB) string {
	var sessions, commands, loggedIn, transfers int64
	err := db.QueryRow(`SELECT count(*), coalesce(sum(commands), 0), coalesce(sum(logged_in::INTEGER), 0),
  coalesce(sum(transfers), 0) FROM ftp_sessions`).Scan(&sessions, &commands, &loggedIn, &transfers)
	if err != nil || sessions == 0 || transfers > 0 {
		return ""
	}
	logins := "none logged in"
	if loggedIn > 0 {
		logins = fmt.Sprintf("%d logged in", loggedIn)
	}
	return fmt.Sprintf(pkt.Nouns(sessions, "the %d FTP session[s] of ftp_sessions asked for no file transfer or listing (%s, %s)"),
		sessions, pkt.Nouns(commands, fmt.Sprintf("%d command[s]", commands)), logins)
}
