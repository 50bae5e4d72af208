package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/activityd/activityd/features"
	"github.com/activityd/activityd/internal/config"
	"github.com/activityd/activityd/internal/schemacheck"
	"github.com/activityd/activityd/internal/testenv"
	"github.com/activityd/activityd/publisher"
	"github.com/activityd/activityd/rnn"
)

// lowThresholds make the untrained model's labels open events at once and
// update them often, so that a few seconds of video give every message.
const lowThresholds = "events: {smoothing_s: 0.2, enter: 0.2, exit: 0.1, min_duration_s: 0.2, min_gap_s: 0.2, update_interval_s: 0.4}\n"

// startDaemon runs the daemon in-process on an embedded server and returns
// a connection to it; the daemon stops at cleanup or when stop is called.
func startDaemon(t *testing.T, yaml string) (*nats.Conn, context.CancelFunc) {
	t.Helper()
	return startDaemonWithNATS(t, yaml, "")
}

// TestPublishedMessagesMatchSchemas runs the daemon on generated videos
// (one looping, one that ends) and validates every frame, clip, event and
// status it publishes, what JetStream stores, the KV value and control
// replies against docs/schema; every message must carry both headers.
func TestPublishedMessagesMatchSchemas(t *testing.T) {
	dir := t.TempDir()
	loop := testenv.Video(t, dir, "loop.mp4", "160x120", 10, 3)
	short := testenv.Video(t, dir, "short.mp4", "160x120", 10, 2)
	nc, _ := startDaemon(t, fmt.Sprintf("streams:\n  - {id: cam-loop, url: %q, loop: true}\n  - {id: cam_short, url: %q}\n%s",
		loop, short, lowThresholds))

	var mu sync.Mutex
	var got []*nats.Msg
	sub, err := nc.Subscribe("activity.>", func(m *nats.Msg) {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	need := []string{"frame", "clip", "event:start", "event:update", "event:end", "status:ended", "cam_short:end"}
	kinds := func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		k := map[string]int{}
		for _, m := range got {
			kind := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
			k[kind]++
			var v struct{ Type, State string }
			_ = json.Unmarshal(m.Data, &v)
			if v.Type != "" {
				k[kind+":"+v.Type]++
			}
			if m.Subject == "activity.cam_short.event" && v.Type == "end" {
				k["cam_short:end"]++
			}
			if v.State != "" {
				k[kind+":"+v.State]++
			}
		}
		return k
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		k := kinds()
		missing := []string{}
		for _, n := range need {
			if k[n] == 0 {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s still no %v; got %v", missing, k)
		}
		time.Sleep(100 * time.Millisecond)
	}

	check := schemacheck.New()
	mu.Lock()
	msgs := append([]*nats.Msg(nil), got...)
	mu.Unlock()
	for _, m := range msgs {
		parts := strings.Split(m.Subject, ".")
		kind := parts[len(parts)-1]
		if err := check.Validate(kind+".json", m.Data); err != nil {
			t.Error(err)
		}
		if m.Header.Get(publisher.HeaderStream) != parts[1] || m.Header.Get(publisher.HeaderModel) != "untrained-gru" {
			t.Errorf("%s: headers %v", m.Subject, m.Header)
		}
	}
	t.Logf("validated %d messages: %v", len(msgs), kinds())
	// A many-to-many model's clips average the frames of 1 s windows of
	// stream time (nats.clips.window_s), 5 frames at 5 fps.
	for _, m := range msgs {
		var c publisher.ClipMsg
		if strings.HasSuffix(m.Subject, ".clip") && json.Unmarshal(m.Data, &c) == nil {
			if d := c.EndPTS - c.StartPTS; d < 0.999 || d > 1.001 || c.Frames < 4 || c.Frames > 6 {
				t.Errorf("clip spans %.3f s with %d frames, want 1 s and 5: %s", d, c.Frames, m.Data)
			}
		}
	}
	// The short file's events end when its source ends.
	shortEnds := 0
	for _, m := range msgs {
		var e publisher.EventMsg
		if m.Subject == "activity.cam_short.event" && json.Unmarshal(m.Data, &e) == nil && e.Type == "end" {
			shortEnds++
			if e.Reason != "source_lost" {
				t.Errorf("cam_short event ended with reason %q, want source_lost", e.Reason)
			}
		}
	}
	if shortEnds == 0 {
		t.Error("no cam_short event ended when its file did")
	}

	// JetStream holds events and clips with Nats-Msg-Id set.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "ACTIVITY")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs == 0 || strings.Join(info.Config.Subjects, " ") != "activity.*.event activity.*.clip" {
		t.Fatalf("stream ACTIVITY: %d messages, subjects %v", info.State.Msgs, info.Config.Subjects)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		kind := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
		if err := check.Validate(kind+".json", m.Data); err != nil {
			t.Error(err)
		}
		id := m.Header.Get(jetstream.MsgIDHeader)
		if kind == "event" {
			var e publisher.EventMsg
			if err := json.Unmarshal(m.Data, &e); err != nil || id != e.MsgID() {
				t.Errorf("stored event %s has Nats-Msg-Id %q", m.Data, id)
			}
		} else if id == "" {
			t.Errorf("stored clip %s has no Nats-Msg-Id", m.Data)
		}
	}

	// The KV bucket holds each stream's current state.
	kv, err := js.KeyValue(ctx, "activity_current")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"cam-loop", "cam_short"} {
		e, err := kv.Get(ctx, key)
		if err != nil {
			t.Fatalf("kv %s: %v", key, err)
		}
		if err := check.Validate("current.json", e.Value()); err != nil {
			t.Error(err)
		}
		var c publisher.Current
		_ = json.Unmarshal(e.Value(), &c)
		if key == "cam_short" && c.State != "ended" {
			t.Errorf("kv %s state = %q, want ended", key, c.State)
		}
	}

	// Control replies.
	for _, op := range []string{"streams.list", "model.info"} {
		r, err := nc.Request("activity.ctl."+op, nil, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := check.Validate("ctl-reply.json", r.Data); err != nil {
			t.Error(err)
		}
		if r.Header.Get(publisher.HeaderModel) != "untrained-gru" {
			t.Errorf("ctl reply headers %v", r.Header)
		}
	}
}

// ctl sends a control request and decodes the reply, which must validate.
func ctl(t *testing.T, nc *nats.Conn, op string, body string) publisher.CtlReply {
	t.Helper()
	r, err := nc.Request("activity.ctl."+op, []byte(body), 10*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	if err := schemacheck.New().Validate("ctl-reply.json", r.Data); err != nil {
		t.Error(err)
	}
	var rep publisher.CtlReply
	if err := json.Unmarshal(r.Data, &rep); err != nil {
		t.Fatalf("%s reply %s: %v", op, r.Data, err)
	}
	return rep
}

func ids(rep publisher.CtlReply) string {
	var s []string
	for _, st := range rep.Streams {
		s = append(s, st.ID)
	}
	return strings.Join(s, ",")
}

// TestControlAddListResetRemove drives a running daemon over P.ctl: a
// stream is added and publishes, is listed, reset and removed and then
// stops publishing; malformed requests get error replies and the daemon
// keeps answering.
func TestControlAddListResetRemove(t *testing.T) {
	dir := t.TempDir()
	video := testenv.Video(t, dir, "v.mp4", "160x120", 10, 3)
	nc, _ := startDaemon(t, fmt.Sprintf("streams:\n  - {id: cam-a, url: %q, loop: true}\n", video))

	if rep := ctl(t, nc, "streams.list", ""); rep.Error != "" || ids(rep) != "cam-a" {
		t.Fatalf("list = %+v", rep)
	}
	frames, err := nc.SubscribeSync("activity.cam-b.frame")
	if err != nil {
		t.Fatal(err)
	}
	rep := ctl(t, nc, "streams.add", fmt.Sprintf(`{"id":"cam-b","url":%q,"fps":5,"loop":true}`, video))
	if rep.Error != "" || rep.Stream == nil || rep.Stream.ID != "cam-b" {
		t.Fatalf("add = %+v", rep)
	}
	if _, err := frames.NextMsg(20 * time.Second); err != nil {
		t.Fatalf("no frame from the added stream: %v", err)
	}
	if rep := ctl(t, nc, "streams.list", "{}"); ids(rep) != "cam-a,cam-b" {
		t.Fatalf("list after add = %+v", rep)
	}
	if rep := ctl(t, nc, "streams.add", fmt.Sprintf(`{"id":"cam-b","url":%q}`, video)); !strings.Contains(rep.Error, "already exists") {
		t.Errorf("second add of cam-b: %+v", rep)
	}
	if rep := ctl(t, nc, "streams.reset", `{"id":"cam-b"}`); rep.Error != "" || !rep.OK {
		t.Errorf("reset = %+v", rep)
	}
	if rep := ctl(t, nc, "model.info", ""); rep.Model == nil || len(rep.Model.Labels) != 4 || rep.Model.Backbone != "descriptor" {
		t.Errorf("model.info = %+v", rep)
	}
	if rep := ctl(t, nc, "streams.remove", `{"id":"cam-b"}`); rep.Error != "" || !rep.OK {
		t.Fatalf("remove = %+v", rep)
	}
	if rep := ctl(t, nc, "streams.list", ""); ids(rep) != "cam-a" {
		t.Errorf("list after remove = %+v", rep)
	}
	// Drain what was in flight, then nothing more may come.
	time.Sleep(300 * time.Millisecond)
	for {
		if _, err := frames.NextMsg(10 * time.Millisecond); err != nil {
			break
		}
	}
	if m, err := frames.NextMsg(time.Second); err == nil {
		t.Errorf("frame after remove: %s", m.Data)
	}

	for _, c := range []struct{ op, body, want string }{
		{"streams.add", `not json`, "bad request"},
		{"streams.add", ``, "must be a JSON object"},
		{"streams.add", `{"id":"x","url":"v.mp4","colour":"red"}`, "unknown field"},
		{"streams.add", `{"id":"a.b","url":"v.mp4"}`, "not a NATS subject token"},
		{"streams.add", `{"id":"ok"}`, "url: missing"},
		{"streams.add", `{"id":"ok","url":"v.mp4","fps":-1}`, "fps"},
		{"streams.add", `{"id":"ok","url":"v.mp4"} {}`, "trailing data"},
		{"streams.remove", `{}`, "id: missing"},
		{"streams.remove", `{"id":"nope"}`, "no such stream"},
		{"streams.reset", `{"id":"nope"}`, "no such stream"},
		{"streams.reset", `[1,2]`, "bad request"},
		{"streams.list", `{"x":1}`, "unknown field"},
		{"streams.explode", `{}`, "unknown operation"},
	} {
		rep := ctl(t, nc, c.op, c.body)
		if !strings.Contains(rep.Error, c.want) || rep.OK {
			t.Errorf("%s %q: reply %+v, want an error containing %q", c.op, c.body, rep, c.want)
		}
	}
	if rep := ctl(t, nc, "streams.list", ""); ids(rep) != "cam-a" {
		t.Errorf("daemon stopped answering after malformed requests: %+v", rep)
	}
}

// TestFrameRateCapAndOff: nats.frames.max_rate caps frame messages per
// second while every frame is still analysed (clips keep coming), and
// frames.enabled false stops them.
func TestFrameRateCapAndOff(t *testing.T) {
	dir := t.TempDir()
	video := testenv.Video(t, dir, "v.mp4", "160x120", 20, 3)
	cfg := fmt.Sprintf("streams:\n  - {id: cap, url: %q, fps: 10, loop: true}\n", video)

	nc, stop := startDaemonWithNATS(t, cfg, "frames: {max_rate: 2}")
	fsub, _ := nc.SubscribeSync("activity.cap.frame")
	first, err := fsub.NextMsg(20 * time.Second)
	if err != nil {
		t.Fatalf("no frame: %v", err)
	}
	var f0 publisher.FrameMsg
	_ = json.Unmarshal(first.Data, &f0)
	time.Sleep(3 * time.Second)
	n, _, _ := fsub.Pending()
	// Frame messages carry the analysed frame's seq: at 10 fps about 5
	// frames are analysed per message sent at 2 per second.
	var last publisher.FrameMsg
	for i := 0; i < n; i++ {
		m, _ := fsub.NextMsg(time.Second)
		_ = json.Unmarshal(m.Data, &last)
	}
	stop()
	t.Logf("max_rate 2: %d frame messages in 3 s; frames %d to %d analysed meanwhile", n, f0.Seq, last.Seq)
	if n < 1 || n > 8 {
		t.Errorf("max_rate 2 sent %d frame messages in 3 s, want at most 7", n)
	}
	if n > 0 && float64(last.Seq-f0.Seq)/float64(n) < 2.5 {
		t.Errorf("frames %d..%d in %d messages: the cap did not skip frames", f0.Seq, last.Seq, n)
	}

	nc, _ = startDaemonWithNATS(t, cfg, "frames: {enabled: false}")
	fsub, _ = nc.SubscribeSync("activity.cap.frame")
	csub, _ := nc.SubscribeSync("activity.cap.clip")
	if _, err := csub.NextMsg(20 * time.Second); err != nil {
		t.Fatalf("frames off: no clip either: %v", err)
	}
	if n, _, _ := fsub.Pending(); n != 0 {
		t.Errorf("frames off sent %d frame messages", n)
	}
}

// startDaemonWithNATS is startDaemon with extra keys in the nats section.
func startDaemonWithNATS(t *testing.T, yaml, natsExtra string) (*nats.Conn, context.CancelFunc) {
	t.Helper()
	dir := t.TempDir()
	addr := testenv.FreeAddr(t)
	cfg, err := config.Parse([]byte(yaml + fmt.Sprintf("nats: {listen: %q, clips: {window_s: 1}, %s}\nhttp: {listen: \"\"}\nstate_dir: %q\n",
		addr, natsExtra, filepath.Join(dir, "state"))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, zaptest.NewLogger(t)) }()
	nc, err := nats.Connect("nats://"+addr, nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(50*time.Millisecond), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; !nc.IsConnected(); i++ {
		if i > 400 {
			t.Fatal("daemon's NATS not up after 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			nc.Close()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("Run did not return 30 s after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return nc, stop
}

// TestManyToOneModelPublishesClips serves a many-to-one model file
// (windows of 5 frames, a new one every 5): the daemon publishes a clip per
// window, spanning its 5 frames, and no frame labels.
func TestManyToOneModelPublishesClips(t *testing.T) {
	dir := t.TempDir()
	video := testenv.Video(t, dir, "v.mp4", "160x120", 10, 3)
	m := rnn.NewRandom(rnn.CellGRU, features.DescriptorDim, 16, 1, []string{"background", "a", "b"}, 7)
	m.Mode, m.Window, m.Stride, m.Backbone = rnn.ModeManyToOne, 5, 5, features.DescriptorName
	path := filepath.Join(dir, "m2o.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	nc, _ := startDaemon(t, fmt.Sprintf("streams:\n  - {id: m2o, url: %q, fps: 5, loop: true}\nmodel: {classifier: %q}\n",
		video, path))
	frames, _ := nc.SubscribeSync("activity.m2o.frame")
	clips, _ := nc.SubscribeSync("activity.m2o.clip")
	check := schemacheck.New()
	for i := 0; i < 3; i++ {
		msg, err := clips.NextMsg(20 * time.Second)
		if err != nil {
			t.Fatalf("clip %d: %v", i, err)
		}
		if err := check.Validate("clip.json", msg.Data); err != nil {
			t.Error(err)
		}
		var c publisher.ClipMsg
		_ = json.Unmarshal(msg.Data, &c)
		if c.Frames != 5 || c.Model != "m2o" || c.EndPTS-c.StartPTS < 0.7 || c.EndPTS-c.StartPTS > 0.9 {
			t.Errorf("clip %s: want 5 frames spanning 0.8 s of stream time", msg.Data)
		}
	}
	if n, _, _ := frames.Pending(); n != 0 {
		t.Errorf("%d frame messages from a many-to-one model", n)
	}
	if rep := ctl(t, nc, "model.info", ""); rep.Model == nil || rep.Model.Mode != "many_to_one" || rep.Model.Window != 5 {
		t.Errorf("model.info = %+v", rep.Model)
	}
}
