package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/activityd/activityd/rnn"
)

// SnapshotConfig says where streams keep their hidden state across a
// restart of the daemon.
type SnapshotConfig struct {
	// Dir holds one file per stream; empty disables snapshots.
	Dir string
	// MaxAge is how old a snapshot may be and still be restored.
	MaxAge time.Duration
}

// snapshot is one stream's hidden state, written when the daemon stops and
// read when the stream starts again. The URL is kept only as a hash: it can
// carry credentials.
type snapshot struct {
	Stream    string    `json:"stream"`
	URLSHA256 string    `json:"url_sha256"`
	Model     string    `json:"model"`
	ModelSHA  string    `json:"model_sha256"`
	Saved     time.Time `json:"saved"`
	PTS       float64   `json:"pts_s"`
	State     []byte    `json:"state"`
}

var modelSHAs sync.Map // *rnn.Model -> hex sha256 of its encoded weights

// modelFingerprint identifies a model by its weights and metadata.
func modelFingerprint(m *rnn.Model) string {
	if v, ok := modelSHAs.Load(m); ok {
		return v.(string)
	}
	b, err := m.Marshal()
	if err != nil {
		return "" // never matches a saved snapshot
	}
	sum := sha256.Sum256(b)
	s := hex.EncodeToString(sum[:])
	modelSHAs.Store(m, s)
	return s
}

func hashString(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (c SnapshotConfig) path(stream string) string { return filepath.Join(c.Dir, stream+".json") }

// save writes stream's state. It is called by the stream's worker, which
// owns state, as it stops at shutdown.
func (c SnapshotConfig) save(stream, url string, m *rnn.Model, st *rnn.State, pts float64) error {
	if c.Dir == "" {
		return nil
	}
	b, err := st.MarshalBinary()
	if err != nil {
		return err
	}
	data, err := json.Marshal(snapshot{Stream: stream, URLSHA256: hashString(url), Model: m.Name,
		ModelSHA: modelFingerprint(m), Saved: time.Now().UTC(), PTS: pts, State: b})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o750); err != nil {
		return err
	}
	tmp := c.path(stream) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, c.path(stream))
}

// errStale and friends say why a snapshot was not restored.
var (
	errNoSnapshot   = errors.New("no snapshot")
	errSnapshotDiff = errors.New("snapshot is of another source or model")
)

// restore loads stream's snapshot into st when it is of the same source and
// model and younger than MaxAge. The file is removed either way: a
// snapshot is used once.
func (c SnapshotConfig) restore(stream, url string, m *rnn.Model, st *rnn.State) (time.Duration, error) {
	if c.Dir == "" {
		return 0, errNoSnapshot
	}
	p := c.path(stream)
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, errNoSnapshot
	}
	_ = os.Remove(p)
	if err != nil {
		return 0, err
	}
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return 0, fmt.Errorf("snapshot %s: %w", p, err)
	}
	age := time.Since(s.Saved)
	if age > c.MaxAge || age < -time.Minute {
		return age, fmt.Errorf("snapshot is %s old, older than %s", age.Round(time.Second), c.MaxAge)
	}
	if s.Stream != stream || s.URLSHA256 != hashString(url) || s.ModelSHA != modelFingerprint(m) {
		return age, errSnapshotDiff
	}
	if err := st.UnmarshalBinary(s.State); err != nil {
		st.Reset()
		return age, fmt.Errorf("snapshot %s: %w", p, err)
	}
	return age, nil
}

// restoreState is the worker's start: it reports whether the hidden state
// was restored, logging why not when a snapshot was there.
func (w *worker) restoreState(state *rnn.State) bool {
	age, err := w.snap.restore(w.stream, w.url, w.model, state)
	switch {
	case err == nil:
		w.log.Info("hidden state restored", zap.Duration("age", age.Round(time.Millisecond)))
		return true
	case errors.Is(err, errNoSnapshot):
	default:
		w.log.Info("hidden state not restored", zap.String("why", err.Error()))
	}
	return false
}
