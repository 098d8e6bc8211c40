package config

import (
	"fmt"
	"strconv"
	"strings"
)

// cronField is one field of a cron spec and the values it may hold.
type cronField struct {
	name     string
	min, max int
}

var (
	cronFields5 = []cronField{{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 6}}
	cronFields6 = append([]cronField{{"second", 0, 59}}, cronFields5...)
)

// checkCronSteps refuses steps that leave the field's range, which
// robfig/cron accepts silently: "*/61 * * * *" and "*/90 * * * *" parse, and
// then fire once an hour (at minute 0), not every 61 or 90 minutes. A step
// larger than its range's span can only ever hit the range's first value, so
// it is always a mistake. Values outside a field's range ("0 25 * * *") the
// parser refuses itself. Descriptors (@hourly, @every) have no fields.
func checkCronSteps(spec string) error {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		if i := strings.IndexAny(spec, " \t"); i > 0 {
			spec = strings.TrimSpace(spec[i:])
		}
	}
	if strings.HasPrefix(spec, "@") {
		return nil
	}
	parts := strings.Fields(spec)
	var fields []cronField
	switch len(parts) {
	case 5:
		fields = cronFields5
	case 6:
		fields = cronFields6
	default:
		return nil // the parser names the wrong field count
	}
	for i, part := range parts {
		f := fields[i]
		for _, item := range strings.Split(part, ",") {
			rng, stepText, ok := strings.Cut(item, "/")
			if !ok {
				continue
			}
			step, err := strconv.Atoi(stepText)
			if err != nil || step <= 0 {
				continue // the parser refuses it with its own reason
			}
			lo, hi := f.min, f.max
			if rng != "*" && rng != "?" {
				a, b, isRange := strings.Cut(rng, "-")
				if lo, err = strconv.Atoi(a); err != nil {
					continue // a name (JAN, MON): the parser checks it
				}
				if isRange {
					if hi, err = strconv.Atoi(b); err != nil {
						continue
					}
				}
			}
			if hi > lo && step > hi-lo {
				return fmt.Errorf("%s step %d is larger than the range %d-%d it divides, so it would fire only at %s %d, not every %d", f.name, step, lo, hi, f.name, lo, step)
			}
		}
	}
	return nil
}
