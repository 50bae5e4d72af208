package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole daemon configuration. Every key is documented, with its
// default, in configs/activityd.yaml.
type Config struct {
	Streams  []Stream `yaml:"streams"`
	Model    Model    `yaml:"model"`
	NATS     NATS     `yaml:"nats"`
	HTTP     HTTP     `yaml:"http"`
	Log      Log      `yaml:"log"`
	Pipeline Pipeline `yaml:"pipeline"`
	Events   Events   `yaml:"events"`
	StateDir string   `yaml:"state_dir"`
}

// Stream is one video source.
type Stream struct {
	ID            string        `yaml:"id"`
	URL           string        `yaml:"url"`
	FPS           float64       `yaml:"fps"`
	Loop          bool          `yaml:"loop"`
	Realtime      *bool         `yaml:"realtime"`
	RTSPTransport string        `yaml:"rtsp_transport"`
	OpenTimeout   time.Duration `yaml:"open_timeout"`
	ReadTimeout   time.Duration `yaml:"read_timeout"`
	QueueSize     int           `yaml:"queue_size"`
	// BackoffMin and BackoffMax bound the delay between reconnects of a
	// live source (doubling, with jitter).
	BackoffMin time.Duration `yaml:"backoff_min"`
	BackoffMax time.Duration `yaml:"backoff_max"`
	// Width, Height, CaptureFPS and FourCC are requested from a V4L2
	// camera (/dev/videoN, device:N); 0 or "" leaves the driver's choice.
	Width      int     `yaml:"width"`
	Height     int     `yaml:"height"`
	CaptureFPS float64 `yaml:"capture_fps"`
	FourCC     string  `yaml:"fourcc"`
}

// IsRealtime reports whether the stream is paced at its native rate. Unset,
// it is true: live sources are real time anyway, and a file then behaves
// like a camera.
func (s Stream) IsRealtime() bool { return s.Realtime == nil || *s.Realtime }

// Model selects the feature extractor and the recurrent classifier.
type Model struct {
	// Backbone is a backbone name or the path of an .onnx file. The name
	// "descriptor" selects the built-in weightless colour-and-gradient
	// descriptor.
	Backbone string `yaml:"backbone"`
	// Classifier is the path of a recurrent model file. Empty selects an
	// untrained GRU with seeded random weights, which shows the pipeline
	// working but whose labels mean nothing.
	Classifier string `yaml:"classifier"`
	// TopK is how many of the best classes each message lists.
	TopK int `yaml:"top_k"`
	// Features configures the backbone (feature_mode, input_size, ...).
	Features Backbone `yaml:",inline"`
}

// NATS says where messages go.
type NATS struct {
	// URL of an existing server or cluster (comma-separated). Empty starts
	// the embedded server.
	URL           string `yaml:"url"`
	SubjectPrefix string `yaml:"subject_prefix"`
	// Listen is the embedded server's client address.
	Listen string `yaml:"listen"`
	// Name is the connection name shown by the server.
	Name string `yaml:"name"`

	// Token, User/Password, NKeySeedFile and CredsFile authenticate to an
	// existing server; at most one method is used. They are never logged.
	Token        string `yaml:"token"`
	User         string `yaml:"user"`
	Password     string `yaml:"password"`
	NKeySeedFile string `yaml:"nkey_seed_file"`
	CredsFile    string `yaml:"creds_file"`
	TLS          TLS    `yaml:"tls"`

	JetStream JetStream `yaml:"jetstream"`
	// KVBucket holds each stream's current label and source state.
	KVBucket string `yaml:"kv_bucket"`
	Outbox   Outbox `yaml:"outbox"`
	Frames   Frames `yaml:"frames"`
	Clips    Clips  `yaml:"clips"`
	Ctl      Ctl    `yaml:"ctl"`
}

// TLS holds the files for a TLS connection to NATS. CA alone verifies the
// server; Cert and Key together authenticate the client.
type TLS struct {
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// JetStream is the stream that keeps events and clips.
type JetStream struct {
	// Stream is the JetStream stream's name.
	Stream string `yaml:"stream"`
	// Retention is limits, interest or workqueue.
	Retention string `yaml:"retention"`
	// MaxAge and MaxBytes bound what the stream keeps (0: no bound).
	MaxAge   time.Duration `yaml:"max_age"`
	MaxBytes int64         `yaml:"max_bytes"`
	// Duplicates is the window in which a repeated Nats-Msg-Id is dropped.
	Duplicates time.Duration `yaml:"duplicates"`
}

// Outbox bounds the on-disk queue of events and clips kept while NATS is
// unreachable; when full the oldest message is dropped and counted.
type Outbox struct {
	MaxMessages int   `yaml:"max_messages"`
	MaxBytes    int64 `yaml:"max_bytes"`
}

// Frames controls the per-frame messages.
type Frames struct {
	Enabled bool `yaml:"enabled"`
	// MaxRate caps frame messages per stream per second (0: every frame).
	MaxRate float64 `yaml:"max_rate"`
}

// Clips controls the per-window messages.
type Clips struct {
	Enabled bool `yaml:"enabled"`
	// WindowS is the window length in seconds of stream time.
	WindowS float64 `yaml:"window_s"`
}

// Ctl controls the request-reply control service.
type Ctl struct {
	Enabled bool `yaml:"enabled"`
}

// Events turns smoothed per-frame probabilities into activity events. Every
// duration is in seconds of stream time.
type Events struct {
	// SmoothingS is the time constant of the exponential smoothing.
	SmoothingS float64 `yaml:"smoothing_s"`
	// Enter and Exit are the hysteresis thresholds on the smoothed score.
	Enter float64 `yaml:"enter"`
	Exit  float64 `yaml:"exit"`
	// MinDurationS is how long a score stays above Enter before an event
	// starts; MinGapS how long below Exit before it ends.
	MinDurationS float64 `yaml:"min_duration_s"`
	MinGapS      float64 `yaml:"min_gap_s"`
	// UpdateIntervalS spaces update messages of an open event (0: none).
	UpdateIntervalS float64 `yaml:"update_interval_s"`
	// TimeoutS ends open events when no frame has been analysed for this
	// long of wall time (0: never).
	TimeoutS float64 `yaml:"timeout_s"`
	// Ignore lists labels that never open an event.
	Ignore []string `yaml:"ignore"`
}

// HTTP is the metrics and health endpoint.
type HTTP struct {
	Listen string `yaml:"listen"`
}

// Log controls logging.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Pipeline holds the analysis settings shared by all streams.
type Pipeline struct {
	// ShutdownTimeout bounds the whole stop sequence.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// StallTimeout is how long a stream's analysis may take without coming
	// round its loop before the daemon counts it as wedged: /healthz fails
	// and systemd's watchdog is no longer pinged.
	StallTimeout time.Duration `yaml:"stall_timeout"`
	// SnapshotMaxAge is how old a stream's saved hidden state may be and
	// still be restored at start (0: no snapshots). The daemon saves each
	// stream's state under state_dir/snapshots when it stops.
	SnapshotMaxAge time.Duration `yaml:"snapshot_max_age"`
}

// DefaultStream holds the per-stream defaults applied to every stream.
var defaultStream = Stream{
	FPS:           5,
	RTSPTransport: "tcp",
	OpenTimeout:   5 * time.Second,
	ReadTimeout:   5 * time.Second,
	QueueSize:     4,
	BackoffMin:    500 * time.Millisecond,
	BackoffMax:    30 * time.Second,
}

// Default returns the configuration the daemon runs with when no file is
// given.
func Default() Config {
	return Config{
		Model: Model{Backbone: "descriptor", TopK: 3, Features: defaultBackbone()},
		NATS: NATS{
			SubjectPrefix: "activity",
			Listen:        "127.0.0.1:4222",
			Name:          "activityd",
			JetStream: JetStream{Stream: "ACTIVITY", Retention: "limits", MaxAge: 7 * 24 * time.Hour,
				Duplicates: 10 * time.Minute},
			KVBucket: "activity_current",
			Outbox:   Outbox{MaxMessages: 100000, MaxBytes: 256 << 20},
			Frames:   Frames{Enabled: true},
			Clips:    Clips{Enabled: true, WindowS: 2},
			Ctl:      Ctl{Enabled: true},
		},
		Events: Events{SmoothingS: 1, Enter: 0.6, Exit: 0.4, MinDurationS: 1, MinGapS: 1,
			UpdateIntervalS: 5, TimeoutS: 10, Ignore: []string{"background", "none"}},
		HTTP: HTTP{Listen: "127.0.0.1:9650"},
		Log:  Log{Level: "info", Format: "auto"},
		Pipeline: Pipeline{ShutdownTimeout: 10 * time.Second, StallTimeout: 30 * time.Second,
			SnapshotMaxAge: 5 * time.Minute},
		StateDir: defaultStateDir(),
	}
}

// defaultStateDir follows systemd's StateDirectory, then the XDG layout.
func defaultStateDir() string {
	if d := os.Getenv("STATE_DIRECTORY"); d != "" {
		return filepath.SplitList(d)[0]
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "activityd")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".local", "state", "activityd")
	}
	return "/var/lib/activityd"
}

// Load reads the file at path (an empty path means no file), applies the
// environment and validates the result.
func Load(path string) (Config, error) {
	cfg := Default()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := decode(f, &cfg); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := ApplyEnv(&cfg, os.Environ()); err != nil {
		return Config{}, err
	}
	cfg.fillStreamDefaults()
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Parse decodes YAML onto the defaults, without the environment, and
// validates. It is what Load does for a file's bytes.
func Parse(data []byte) (Config, error) {
	cfg := Default()
	if err := decode(bytes.NewReader(data), &cfg); err != nil {
		return Config{}, err
	}
	cfg.fillStreamDefaults()
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

var unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)

// decode is strict: an unknown key is an error that names it.
func decode(r io.Reader, cfg *Config) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file keeps the defaults
		}
		msg := unknownField.ReplaceAllString(err.Error(), `unknown key "$1"`)
		return errors.New(msg)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("more than one YAML document")
	}
	return nil
}

// fillStreamDefaults gives every stream the per-stream defaults for the keys
// it leaves unset.
func (c *Config) fillStreamDefaults() {
	for i := range c.Streams {
		s := &c.Streams[i]
		if s.FPS == 0 {
			s.FPS = defaultStream.FPS
		}
		if s.RTSPTransport == "" {
			s.RTSPTransport = defaultStream.RTSPTransport
		}
		if s.OpenTimeout == 0 {
			s.OpenTimeout = defaultStream.OpenTimeout
		}
		if s.ReadTimeout == 0 {
			s.ReadTimeout = defaultStream.ReadTimeout
		}
		if s.QueueSize == 0 {
			s.QueueSize = defaultStream.QueueSize
		}
		if s.BackoffMin == 0 {
			s.BackoffMin = defaultStream.BackoffMin
		}
		if s.BackoffMax == 0 {
			s.BackoffMax = defaultStream.BackoffMax
		}
	}
}
