package config

import "testing"

// Steps within their field's span are accepted; the cases refused are in
// TestValidationProblems.
func TestScheduleStepsWithinRangeAreAccepted(t *testing.T) {
	for _, spec := range []string{"*/59 * * * *", "*/5 * * * *", "0 */23 * * *", "0 9-17/2 * * MON-FRI",
		"*/30 * * * * *", "TZ=Asia/Shanghai 0 */6 * * *", "0 0 */30 * *", "0 0 1 */6 *", "@every 90m", "@hourly", "0,30/15 * * * *"} {
		if _, err := ParseSchedule(spec); err != nil {
			t.Errorf("%q: %v", spec, err)
		}
	}
	for _, spec := range []string{"*/60 * * * *", "0 */24 * * *", "0 0 */31 * *", "0 0 1 */12 *", "0 0 * * */7"} {
		if _, err := ParseSchedule(spec); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
}
