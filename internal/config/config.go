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
}

// DefaultStream holds the per-stream defaults applied to every stream.
var defaultStream = Stream{
	FPS:           5,
	RTSPTransport: "tcp",
	OpenTimeout:   5 * time.Second,
	ReadTimeout:   5 * time.Second,
	QueueSize:     4,
}

// Default returns the configuration the daemon runs with when no file is
// given.
func Default() Config {
	return Config{
		Model: Model{Backbone: "descriptor", TopK: 3},
		NATS: NATS{
			SubjectPrefix: "activity",
			Listen:        "127.0.0.1:4222",
			Name:          "activityd",
		},
		HTTP:     HTTP{Listen: "127.0.0.1:9650"},
		Log:      Log{Level: "info", Format: "auto"},
		Pipeline: Pipeline{ShutdownTimeout: 10 * time.Second},
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
	}
}
