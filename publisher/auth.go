package publisher

import (
	"errors"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
)

// ErrAuth is returned when the server refuses the credentials.
var ErrAuth = errors.New("publisher: NATS refused authentication")

// Auth holds the credentials and TLS files for a connection. At most one of
// Token, User, NKeySeedFile and CredsFile is used.
type Auth struct {
	Token        string
	User         string
	Password     string
	NKeySeedFile string
	CredsFile    string
	TLSCA        string
	TLSCert      string
	TLSKey       string
}

// String never shows a secret: it names the method only.
func (a Auth) String() string {
	switch {
	case a.Token != "":
		return "token"
	case a.User != "":
		return "user " + a.User
	case a.NKeySeedFile != "":
		return "nkey"
	case a.CredsFile != "":
		return "creds"
	}
	return "none"
}

// options turns the credentials into nats.go options. Files must exist, so
// that a typo fails at start with the key named.
func (a Auth) options() ([]nats.Option, error) {
	var opts []nats.Option
	exists := func(key, path string) error {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("publisher: nats.%s: %w", key, err)
		}
		return nil
	}
	switch {
	case a.Token != "":
		opts = append(opts, nats.Token(a.Token))
	case a.User != "":
		opts = append(opts, nats.UserInfo(a.User, a.Password))
	case a.NKeySeedFile != "":
		if err := exists("nkey_seed_file", a.NKeySeedFile); err != nil {
			return nil, err
		}
		o, err := nats.NkeyOptionFromSeed(a.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("publisher: nats.nkey_seed_file: %w", err)
		}
		opts = append(opts, o)
	case a.CredsFile != "":
		if err := exists("creds_file", a.CredsFile); err != nil {
			return nil, err
		}
		opts = append(opts, nats.UserCredentials(a.CredsFile))
	}
	if a.TLSCA != "" {
		if err := exists("tls.ca", a.TLSCA); err != nil {
			return nil, err
		}
		opts = append(opts, nats.RootCAs(a.TLSCA))
	}
	if a.TLSCert != "" || a.TLSKey != "" {
		if err := exists("tls.cert", a.TLSCert); err != nil {
			return nil, err
		}
		if err := exists("tls.key", a.TLSKey); err != nil {
			return nil, err
		}
		opts = append(opts, nats.ClientCert(a.TLSCert, a.TLSKey))
	}
	return opts, nil
}

// isAuthErr reports whether err is the server refusing the credentials.
func isAuthErr(err error) bool {
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, nats.ErrAccountAuthExpired)
}
