package modelstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Runtime describes the pinned ONNX Runtime shared library, taken from an
// npm package's prebuilt binaries.
type Runtime struct {
	Name, Package, Version, Integrity, License string
	// Member is the library inside the tarball and SHA256 its digest.
	Member, SHA256 string
	// FileName is what it is installed as.
	FileName string
}

// ONNXRuntimeName is the name the runtime is fetched and found under.
const ONNXRuntimeName = "onnxruntime"

// ONNXRuntime returns the pinned ONNX Runtime 1.24.1 for linux/x64 (needs
// glibc >= 2.27), from onnxruntime-node. The package declares MIT but
// ships no licence text; the project ships it in
// third_party/onnxruntime/LICENSE.
func ONNXRuntime() Runtime {
	return Runtime{
		Name: ONNXRuntimeName, Package: "onnxruntime-node", Version: "1.24.1",
		Integrity: "sha512-Ex/oUXKdhDoxvlNxBT3oYtW0MH88yYpPlXQeVQUXpcJQmN24usd/8RCoPLN5kCHwDsiZ+nqsnjciyFRl423dQw==",
		License:   "MIT",
		Member:    "package/bin/napi-v6/linux/x64/libonnxruntime.so.1",
		SHA256:    "53ef1ac028dd1b05554b8da28d9159eb3876f99868193d2aaa6e67f0243c23d4",
		FileName:  "libonnxruntime.so.1",
	}
}

// RuntimePath returns the installed ONNX Runtime library in dirs, checked
// against its recorded digest, or "" when none is installed.
func RuntimePath(dirs []string) (string, error) {
	rt := ONNXRuntime()
	for _, d := range dirs {
		p := filepath.Join(d, rt.Name, rt.FileName)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		sum, err := FileSHA256(p)
		if err != nil {
			return "", err
		}
		if sum != rt.SHA256 {
			return "", fmt.Errorf("%w: %s has sha256 %s, expected %s", ErrIntegrity, p, sum, rt.SHA256)
		}
		return filepath.Abs(p)
	}
	return "", nil
}

// FetchRuntime installs the ONNX Runtime library in the store unless it is
// there and intact; it reports whether it did any work.
func (s Store) FetchRuntime(ctx context.Context, f Fetcher) (string, bool, error) {
	rt := ONNXRuntime()
	dir := filepath.Join(s.Dir, rt.Name)
	path := filepath.Join(dir, rt.FileName)
	if p, err := RuntimePath([]string{s.Dir}); err == nil && p != "" {
		return p, false, nil
	}
	tgz, err := f.Pack(ctx, rt.Package, rt.Version, rt.Integrity)
	if err != nil {
		return "", false, err
	}
	files, err := ReadTarball(tgz, rt.Member)
	if err != nil {
		return "", false, err
	}
	lib := files[rt.Member]
	sum := sha256.Sum256(lib)
	if got := hex.EncodeToString(sum[:]); got != rt.SHA256 {
		return "", false, fmt.Errorf("%w: %s has sha256 %s, expected %s", ErrIntegrity, rt.Member, got, rt.SHA256)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, err
	}
	if err := writeAtomic(path, lib); err != nil {
		return "", false, err
	}
	man, _ := json.MarshalIndent(Manifest{Name: rt.Name, Package: rt.Package, Version: rt.Version, License: rt.License,
		Integrity: rt.Integrity, SHA256: rt.SHA256, Installed: time.Now().UTC().Truncate(time.Second),
		SourceFile: []string{rt.Member}, Doc: "ONNX Runtime shared library, loaded at run time by engine onnxruntime/auto"}, "", "  ")
	if err := writeAtomic(filepath.Join(dir, "runtime.json"), append(man, '\n')); err != nil {
		return "", false, err
	}
	abs, err := filepath.Abs(path)
	return abs, true, err
}
