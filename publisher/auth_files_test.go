package publisher_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"go.uber.org/zap"

	"github.com/activityd/activityd/publisher"
)

// connectAndSend connects with cfg, stores one event and checks that
// JetStream acknowledged it.
func connectAndSend(t *testing.T, cfg publisher.Config) {
	t.Helper()
	pub, err := publisher.Connect(context.Background(), cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pub.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pub.Event(&publisher.EventMsg{ID: "e1", Type: publisher.EventStart, Stream: "cam", Label: "walk",
		Score: 0.9, StartTS: time.Now().UTC(), Model: "m"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the event to be acked", func() bool { return pub.Outbox().Len() == 0 })
}

// TestNKeyAuth: a server that knows only one NKey user lets in the daemon
// holding its seed and refuses another seed.
func TestNKeyAuth(t *testing.T) {
	dir := t.TempDir()
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pubKey, _ := user.PublicKey()
	seed, _ := user.Seed()
	seedFile := filepath.Join(dir, "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	srv := runServer(t, port, filepath.Join(dir, "js"), func(o *server.Options) {
		o.Nkeys = []*server.NkeyUser{{Nkey: pubKey}}
	})
	defer stopServer(srv)
	connectAndSend(t, publisher.Config{URL: url(port), Prefix: "activity",
		Auth: publisher.Auth{NKeySeedFile: seedFile}, OutboxDir: filepath.Join(dir, "outbox")})

	other, _ := nkeys.CreateUser()
	otherSeed, _ := other.Seed()
	otherFile := filepath.Join(dir, "other.nk")
	if err := os.WriteFile(otherFile, otherSeed, 0o600); err != nil {
		t.Fatal(err)
	}
	bad, err := publisher.Connect(context.Background(), publisher.Config{URL: url(port), Prefix: "activity",
		Auth: publisher.Auth{NKeySeedFile: otherFile}}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := bad.WaitConnected(ctx); err == nil {
		t.Error("an unknown NKey was let in")
	} else {
		t.Logf("unknown nkey: %v", err)
	}
}

// TestTLS: a server with a certificate from a test CA is reached with
// nats.tls.ca, and its client certificate requirement met with cert/key.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile, clientCert, clientKey := writeTestPKI(t, dir)
	serverTLS, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: certFile, KeyFile: keyFile, CaFile: caFile,
		Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	srv := runServer(t, port, filepath.Join(dir, "js"), func(o *server.Options) {
		o.TLSConfig, o.TLS, o.TLSVerify, o.TLSTimeout = serverTLS, true, true, 2
	})
	defer stopServer(srv)
	connectAndSend(t, publisher.Config{URL: "tls://127.0.0.1:" + itoa(port), Prefix: "activity",
		Auth:      publisher.Auth{TLSCA: caFile, TLSCert: clientCert, TLSKey: clientKey},
		OutboxDir: filepath.Join(dir, "outbox")})
}

func itoa(n int) string { return strconv.Itoa(n) }

// writeTestPKI makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, all signed by the CA, and writes them as PEM files.
func writeTestPKI(t *testing.T, dir string) (ca, cert, key, clientCert, clientKey string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "activityd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	ca = write("ca.pem", "CERTIFICATE", caDER)
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", kder)
	}
	cert, key = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	clientCert, clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return ca, cert, key, clientCert, clientKey
}

// TestSeveralServers: nats.url may list several servers; a dead one first
// does not stop the daemon reaching a live one.
func TestSeveralServers(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	srv := runServer(t, port, filepath.Join(dir, "js"), nil)
	defer stopServer(srv)
	dead := freePort(t)
	connectAndSend(t, publisher.Config{URL: url(dead) + "," + url(port), Prefix: "activity",
		OutboxDir: filepath.Join(dir, "outbox")})
}
