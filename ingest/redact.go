package ingest

import "net/url"

// Redact hides the password of a URL (rtsp://user:secret@host becomes
// rtsp://user:xxxxx@host) so that it can be logged or published. A string
// that is not a URL with credentials comes back unchanged.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
