package main

import (
	"fmt"
	"strings"
	"time"
)

// localTimeWarning is the warning --local-time gives when TZ (tz; set:
// TZ is in the environment) names a zone this system does not know: Go
// then takes UTC for the local zone (local, time.Local), and the times
// printed with Z looked as if --local-time had been ignored. "" when TZ is
// unset, empty or UTC, or names a zone that loaded.
func localTimeWarning(tz string, set bool, local *time.Location) string {
	name := strings.TrimPrefix(tz, ":")
	if !set || name == "" || name == "UTC" || local.String() != "UTC" {
		return ""
	}
	return fmt.Sprintf("--local-time: TZ=%q is no time zone known here (no such file under /usr/share/zoneinfo, nor a tzfile path): times print in UTC", tz)
}
