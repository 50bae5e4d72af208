package pipeline

import (
	"encoding/json"
	"testing"

	"go.uber.org/zap"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/ingest"
	"github.com/activityd/activityd/internal/schemacheck"
	"github.com/activityd/activityd/publisher"
	"github.com/activityd/activityd/rnn"
)

// FuzzControl feeds arbitrary operations and bodies to the control handler
// acting on a real (not running) pipeline: it never panics, and every reply
// is either ok or an error and validates against docs/schema.
func FuzzControl(f *testing.F) {
	model := rnn.NewRandom(rnn.CellGRU, features.DescriptorDim, 8, 1, []string{"background", "walk"}, 1)
	p, err := New(Config{Streams: []ingest.Config{{ID: "cam", URL: "rtsp://u:secret@h/s", FPS: 5}}, TopK: 2,
		Model: model, NewExtractor: func() (features.Extractor, error) { return features.New("descriptor") }}, zap.NewNop())
	if err != nil {
		f.Fatal(err)
	}
	check := schemacheck.New()
	for _, s := range []struct{ op, body string }{
		{"streams.list", ""}, {"streams.list", "{}"}, {"model.info", ""},
		{"streams.add", `{"id":"a","url":"v.mp4","fps":5}`}, {"streams.add", `{"id":"a.b","url":"x"}`},
		{"streams.add", "not json"}, {"streams.add", `{"id":"a","url":"v"} {}`}, {"streams.remove", `{"id":"cam"}`},
		{"streams.reset", `{"id":"nope"}`}, {"streams.reset", `[1]`}, {"x", ""}, {"streams.add", `{"fps":1e999}`},
	} {
		f.Add(s.op, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		if op == publisher.CtlRemove {
			// Removing the configured stream is a real state change; keep
			// the corpus independent of order.
			op = publisher.CtlReset
		}
		rep := publisher.HandleControl(p, op, body, zap.NewNop())
		if (rep.Error != "") == rep.OK {
			t.Fatalf("%s %q: reply %+v has both or neither of ok and error", op, body, rep)
		}
		data, _ := json.Marshal(rep)
		if err := check.Validate("ctl-reply.json", data); err != nil {
			t.Fatalf("%s %q: %v", op, body, err)
		}
		for _, s := range rep.Streams {
			if s.URL != "rtsp://u:xxxxx@h/s" {
				t.Fatalf("list shows url %q", s.URL)
			}
		}
	})
}
