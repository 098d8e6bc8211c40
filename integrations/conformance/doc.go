// Package conformance is the test kit every HTTP adapter's tests run: Run points
// the adapter at a scripted server that answers each failure the shared policy
// must handle (401, 403, 404, 409, 400/422, 429, 500/503, a hanging answer, a
// malformed body, a refused connection, a cancelled context) in the provider's
// own error envelope with the adapter's secrets echoed back, and checks that
// every error has the kind the httpclient contract promises, that retries
// happen exactly for retryable failures, that cancellation returns promptly
// with context.Canceled in the chain, and that no configured secret reaches an
// error string or a log line.
//
// The kit is built to hold on a loaded CI machine: attempts never time out
// except in the scenario about timeouts, where the server never answers;
// attempts are counted from the policy's own log lines, which is exact even
// when a timed-out request never reached the server; and cancellations are
// made once the call has reached the point under test, with "prompt" bounded
// in seconds. The helpers beside Run (GenerousTimeout, Prompt, Sleeper,
// CancelWhileHeld, Collect) give adapter tests the same footing.
//
// It is a normal package so that adapter tests in other packages can import it;
// production code never does.
package conformance
