package modelstore

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/activityd/activityd/features/onnxpb"
	"github.com/activityd/activityd/features/tfjs"
)

// Errors of the store.
var (
	ErrNotInstalled = errors.New("modelstore: backbone not installed")
	ErrIntegrity    = errors.New("modelstore: integrity check failed")
	ErrUnknown      = errors.New("modelstore: unknown backbone")
)

// File names inside a backbone's directory.
const (
	ModelFileName    = "model.onnx"
	ManifestFileName = "manifest.json"
	LicenseFileName  = "LICENSE"
)

// Manifest is written beside each installed model.
type Manifest struct {
	Name      string `json:"name"`
	Package   string `json:"package"`
	Version   string `json:"version"`
	License   string `json:"license"`
	Integrity string `json:"integrity"`
	// SHA256 is the hex digest of the ONNX file.
	SHA256     string    `json:"sha256"`
	Converter  string    `json:"converter"`
	Opset      int64     `json:"opset"`
	Input      Input     `json:"input"`
	Outputs    []Tensor  `json:"outputs"`
	Doc        string    `json:"doc"`
	Installed  time.Time `json:"installed"`
	SourceFile []string  `json:"source_files"`
}

// Input is the model's input and the preprocessing it expects.
type Input struct {
	Name   string     `json:"name"`
	Width  int        `json:"width"`
	Height int        `json:"height"`
	Scale  float64    `json:"scale"`
	Mean   [3]float64 `json:"mean"`
	Std    [3]float64 `json:"std"`
	SwapRB bool       `json:"swap_rb"`
}

// Tensor is a named output and its shape without the batch dimension.
type Tensor struct {
	Name  string  `json:"name"`
	Shape []int64 `json:"shape"`
}

// Installed is one backbone found in a models directory.
type Installed struct {
	Dir      string
	Path     string
	Manifest Manifest
}

// Store is one models directory: DIR/NAME/{model.onnx,manifest.json}.
type Store struct {
	Dir string
}

// EnvDir names the environment variable that overrides the models
// directory.
const EnvDir = "ACTIVITYD_MODELS_DIR"

// UserDir is the per-user models directory, ~/.cache/activityd/models.
func UserDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "activityd", "models")
	}
	return filepath.Join(os.TempDir(), "activityd-models")
}

// SearchDirs lists where backbones are looked for, first match wins:
// $ACTIVITYD_MODELS_DIR, STATE_DIR/models, then the user cache.
func SearchDirs(stateDir string) []string {
	var dirs []string
	if d := os.Getenv(EnvDir); d != "" {
		dirs = append(dirs, d)
	}
	if stateDir != "" {
		dirs = append(dirs, filepath.Join(stateDir, "models"))
	}
	return append(dirs, UserDir())
}

// Find returns the first installed backbone with that name in dirs.
func Find(dirs []string, name string) (Installed, error) {
	for _, d := range dirs {
		if in, err := (Store{Dir: d}).Get(name); err == nil {
			return in, nil
		}
	}
	return Installed{}, fmt.Errorf("%w: %s (looked in %s; run `activityctl models fetch`)", ErrNotInstalled, name, strings.Join(dirs, ", "))
}

// Get returns the installed backbone name, without checking its hash.
func (s Store) Get(name string) (Installed, error) {
	dir := filepath.Join(s.Dir, name)
	data, err := os.ReadFile(filepath.Join(dir, ManifestFileName))
	if err != nil {
		return Installed{}, fmt.Errorf("%w: %s in %s", ErrNotInstalled, name, s.Dir)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return Installed{}, fmt.Errorf("modelstore: %s: bad manifest: %w", dir, err)
	}
	path := filepath.Join(dir, ModelFileName)
	if _, err := os.Stat(path); err != nil {
		return Installed{}, fmt.Errorf("%w: %s: model file missing", ErrNotInstalled, name)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Installed{}, err
	}
	return Installed{Dir: dir, Path: abs, Manifest: m}, nil
}

// Verify checks that the model file still has the digest its manifest
// records.
func (in Installed) Verify() error {
	sum, err := FileSHA256(in.Path)
	if err != nil {
		return err
	}
	if sum != in.Manifest.SHA256 {
		return fmt.Errorf("%w: %s has sha256 %s, its manifest says %s", ErrIntegrity, in.Path, sum, in.Manifest.SHA256)
	}
	return nil
}

// List returns every backbone installed in the store, sorted by name.
func (s Store) List() ([]Installed, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Installed
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if in, err := s.Get(e.Name()); err == nil {
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Manifest.Name < out[j].Manifest.Name })
	return out, nil
}

// FileSHA256 returns the hex sha256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Fetcher obtains package tarballs.
type Fetcher struct {
	// NPM is the npm command; empty means "npm" on PATH.
	NPM string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

func (f Fetcher) logf(format string, a ...any) {
	if f.Log != nil {
		fmt.Fprintf(f.Log, format+"\n", a...)
	}
}

// Pack runs `npm pack PKG@VERSION` in a temporary directory (never npm
// install: nothing is executed) and returns the tarball's bytes, checked
// against integrity.
func (f Fetcher) Pack(ctx context.Context, pkg, version, integrity string) ([]byte, error) {
	npm := f.NPM
	if npm == "" {
		npm = "npm"
	}
	tmp, err := os.MkdirTemp("", "activityd-npm-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, npm, "pack", pkg+"@"+version, "--ignore-scripts", "--silent", "--pack-destination", tmp)
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	f.logf("npm pack %s@%s", pkg, version)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("modelstore: npm pack %s@%s: %w: %s", pkg, version, err, tail(stderr.String()))
	}
	matches, _ := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if len(matches) != 1 {
		return nil, fmt.Errorf("modelstore: npm pack %s@%s left %d tarballs", pkg, version, len(matches))
	}
	data, err := os.ReadFile(matches[0])
	if err != nil {
		return nil, err
	}
	if err := CheckIntegrity(data, integrity); err != nil {
		return nil, fmt.Errorf("%s@%s: %w", pkg, version, err)
	}
	f.logf("integrity ok (%s)", integrity)
	return data, nil
}

// CheckIntegrity compares data with an SRI string ("sha512-BASE64").
func CheckIntegrity(data []byte, integrity string) error {
	algo, want, ok := strings.Cut(integrity, "-")
	if !ok || algo != "sha512" {
		return fmt.Errorf("%w: unsupported integrity %q", ErrIntegrity, integrity)
	}
	sum := sha512.Sum512(data)
	got := base64.StdEncoding.EncodeToString(sum[:])
	if got != want {
		return fmt.Errorf("%w: tarball is sha512-%s, expected %s", ErrIntegrity, got, integrity)
	}
	return nil
}

// maxMember bounds a file read from a tarball.
const maxMember = 256 << 20

// ReadTarball returns the named members of a gzipped tarball.
func ReadTarball(tgz []byte, names ...string) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("modelstore: tarball: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string][]byte{}
	tr := tar.NewReader(zr)
	for len(out) < len(want) {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("modelstore: tarball: %w", err)
		}
		if !want[h.Name] || h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > maxMember {
			return nil, fmt.Errorf("modelstore: tarball member %s is %d bytes", h.Name, h.Size)
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxMember))
		if err != nil {
			return nil, fmt.Errorf("modelstore: tarball %s: %w", h.Name, err)
		}
		out[h.Name] = b
	}
	for n := range want {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("modelstore: tarball has no %s", n)
		}
	}
	return out, nil
}

// Convert turns the spec's files from a package tarball into ONNX bytes
// and a manifest (without SHA256 and Installed).
func Convert(spec Spec, tgz []byte) ([]byte, Manifest, []byte, error) {
	files, err := ReadTarball(tgz, spec.ModelFile, spec.WeightsFile, spec.LicenseFile)
	if err != nil {
		return nil, Manifest{}, nil, err
	}
	m, err := tfjs.Parse(files[spec.ModelFile], files[spec.WeightsFile])
	if err != nil {
		return nil, Manifest{}, nil, fmt.Errorf("modelstore: %s: %w", spec.Name, err)
	}
	source := spec.Package + "@" + spec.Version
	data, err := tfjs.Convert(m, tfjs.Options{
		Outputs: spec.Outputs, ProducerVersion: "1", Doc: spec.Doc,
		Metadata: [][2]string{{"source", source}, {"license", spec.License}, {"name", spec.Name}},
	})
	if err != nil {
		return nil, Manifest{}, nil, fmt.Errorf("modelstore: %s: %w", spec.Name, err)
	}
	info, err := onnxpb.Inspect(data)
	if err != nil {
		return nil, Manifest{}, nil, fmt.Errorf("modelstore: %s: converted model does not read back: %w", spec.Name, err)
	}
	man := Manifest{
		Name: spec.Name, Package: spec.Package, Version: spec.Version, License: spec.License,
		Integrity: spec.Integrity, Converter: "activityd features/tfjs", Opset: info.Opset, Doc: spec.Doc,
		SourceFile: []string{spec.ModelFile, spec.WeightsFile},
	}
	if len(info.Inputs) != 1 || len(info.Inputs[0].Shape) != 4 {
		return nil, Manifest{}, nil, fmt.Errorf("modelstore: %s: converted model has no NCHW input", spec.Name)
	}
	in := info.Inputs[0]
	man.Input = Input{Name: in.Name, Width: int(in.Shape[3].Value), Height: int(in.Shape[2].Value),
		Scale: 1.0 / 255, Std: [3]float64{1, 1, 1}, SwapRB: true}
	for _, o := range info.Outputs {
		t := Tensor{Name: o.Name}
		for _, d := range o.Shape[1:] {
			t.Shape = append(t.Shape, d.Value)
		}
		man.Outputs = append(man.Outputs, t)
	}
	return data, man, files[spec.LicenseFile], nil
}

// Fetch installs the named built-in backbone in the store unless it is
// already there and intact. It reports whether it did any work.
func (s Store) Fetch(ctx context.Context, f Fetcher, name string) (Installed, bool, error) {
	spec, ok := Lookup(name)
	if !ok {
		return Installed{}, false, fmt.Errorf("%w %q", ErrUnknown, name)
	}
	if in, err := s.Get(name); err == nil {
		if err := in.Verify(); err == nil && in.Manifest.Integrity == spec.Integrity {
			return in, false, nil
		}
		f.logf("%s: installed copy is stale or damaged; fetching again", name)
	}
	tgz, err := f.Pack(ctx, spec.Package, spec.Version, spec.Integrity)
	if err != nil {
		return Installed{}, false, err
	}
	f.logf("converting %s", spec.ModelFile)
	data, man, license, err := Convert(spec, tgz)
	if err != nil {
		return Installed{}, false, err
	}
	sum := sha256.Sum256(data)
	man.SHA256 = hex.EncodeToString(sum[:])
	man.Installed = time.Now().UTC().Truncate(time.Second)
	dir := filepath.Join(s.Dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Installed{}, false, err
	}
	mj, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return Installed{}, false, err
	}
	// The manifest goes last: a model without one is not installed.
	_ = os.Remove(filepath.Join(dir, ManifestFileName))
	for _, w := range []struct {
		name string
		data []byte
	}{{ModelFileName, data}, {LicenseFileName, license}, {ManifestFileName, append(mj, '\n')}} {
		if err := writeAtomic(filepath.Join(dir, w.name), w.data); err != nil {
			return Installed{}, false, err
		}
	}
	in, err := s.Get(name)
	return in, true, err
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 400 {
		s = "..." + s[len(s)-400:]
	}
	return s
}
