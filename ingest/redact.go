package ingest

import "regexp"

// credRe matches the user-info password of a URL anywhere in a string,
// including URLs inside a GStreamer pipeline or an error message.
var credRe = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*):[^\s/@]*@`)

// Redact hides the passwords of the URLs in s (rtsp://user:secret@host
// becomes rtsp://user:xxxxx@host) so that it can be logged, published or
// used as a metric label. Text without credentials comes back unchanged.
func Redact(s string) string {
	return credRe.ReplaceAllString(s, "${1}:xxxxx@")
}
