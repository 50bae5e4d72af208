package publisher

import (
	"net/url"
	"strings"
)

// redactURLs hides passwords and tokens in a comma-separated server list.
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.User == nil {
			continue
		}
		if _, has := u.User.Password(); has {
			parts[i] = u.Redacted()
		} else {
			u.User = url.User("xxxxx") // a bare token
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}
