package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/activityd/activityd/publisher"
	"github.com/activityd/activityd/synth"
)

// demoSettle is how long after a change of the scripted activity a frame
// is not counted in the running accuracy (as the model's evaluation does).
const demoSettle = 1.0

func runDemo(ctx context.Context, args []string) error {
	return demo(ctx, args, os.Stdout, os.Stderr)
}

// truth is the script of a looping video: its segments and length.
type truth struct {
	segs   []synth.Segment
	length float64
}

// readTruth reads the segments of one video (the first in the CSV when
// video is empty).
func readTruth(path, video string) (*truth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	all, err := synth.ReadSegmentsCSV(f)
	if err != nil {
		return nil, err
	}
	if video == "" && len(all) > 0 {
		video = all[0].Video
	}
	tr := &truth{}
	for _, s := range all {
		if s.Video == video {
			tr.segs = append(tr.segs, s)
			tr.length = math.Max(tr.length, s.End)
		}
	}
	if len(tr.segs) == 0 {
		return nil, fmt.Errorf("%s: no segments for video %q", path, video)
	}
	return tr, nil
}

// at returns the scripted segment at stream time pts (the video loops) and
// the stream time at which that segment began.
func (tr *truth) at(pts float64) (synth.Segment, float64) {
	loop := math.Floor(pts / tr.length)
	t := pts - loop*tr.length
	for _, s := range tr.segs {
		if s.Contains(t) {
			return s, loop*tr.length + s.Start
		}
	}
	last := tr.segs[len(tr.segs)-1]
	return last, loop*tr.length + last.Start
}

// demoStream is what the display knows about one stream.
type demoStream struct {
	frame        publisher.FrameMsg
	seen         bool
	state        string
	open         map[string]publisher.EventMsg // event id -> its start
	right, total int
}

// demoView keeps every stream's state; NATS callbacks update it and the
// ticker prints it.
type demoView struct {
	mu      sync.Mutex
	out     io.Writer
	truth   *truth
	streams map[string]*demoStream
}

func (v *demoView) stream(id string) *demoStream {
	s, ok := v.streams[id]
	if !ok {
		s = &demoStream{open: map[string]publisher.EventMsg{}}
		v.streams[id] = s
	}
	return s
}

func (v *demoView) onFrame(f publisher.FrameMsg) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.stream(f.Stream)
	s.frame, s.seen = f, true
	if v.truth != nil {
		seg, began := v.truth.at(f.PTS)
		if f.PTS-began >= demoSettle {
			s.total++
			if f.Label == seg.Label {
				s.right++
			}
		}
	}
}

func (v *demoView) onEvent(e publisher.EventMsg) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.stream(e.Stream)
	now := time.Now().Format("15:04:05")
	switch e.Type {
	case publisher.EventStart:
		s.open[e.ID] = e
		line := fmt.Sprintf("%s  %-8s EVENT START %-11s at t=%7.2fs", now, e.Stream, e.Label, e.StartPTS)
		if v.truth != nil {
			seg, began := v.truth.at(e.StartPTS + 0.5)
			line += fmt.Sprintf("   truth: %s from t=%.2fs (%+.2fs)", seg.Label, began, e.StartPTS-began)
		}
		fmt.Fprintln(v.out, line)
	case publisher.EventEnd:
		delete(s.open, e.ID)
		end := e.StartPTS + e.DurationS
		if e.EndPTS != nil {
			end = *e.EndPTS
		}
		line := fmt.Sprintf("%s  %-8s EVENT END   %-11s at t=%7.2fs  lasted %.1fs (%s)", now, e.Stream, e.Label, end, e.DurationS, e.Reason)
		if v.truth != nil {
			seg, began := v.truth.at(end - 0.5)
			segEnd := began + seg.End - seg.Start
			line += fmt.Sprintf("   truth: %s until t=%.2fs (%+.2fs)", seg.Label, segEnd, end-segEnd)
		}
		fmt.Fprintln(v.out, line)
	}
}

func (v *demoView) onStatus(st publisher.StatusMsg) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.stream(st.Stream).state = st.State
	fmt.Fprintf(v.out, "%s  %-8s source %s %s\n", time.Now().Format("15:04:05"), st.Stream, st.State, st.Reason)
}

// print writes one line per stream: its latest frame's label and score,
// its open event, the scripted truth at that frame and the running
// accuracy.
func (v *demoView) print() {
	v.mu.Lock()
	defer v.mu.Unlock()
	ids := make([]string, 0, len(v.streams))
	for id, s := range v.streams {
		if s.seen {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	now := time.Now().Format("15:04:05")
	for _, id := range ids {
		s := v.streams[id]
		f := s.frame
		var events []string
		for _, e := range s.open {
			events = append(events, fmt.Sprintf("%s since %.1fs", e.Label, e.StartPTS))
		}
		sort.Strings(events)
		ev := strings.Join(events, ", ")
		if ev == "" {
			ev = "-"
		}
		line := fmt.Sprintf("%s  %-8s t=%7.2fs  label %-11s %.2f  event %-24s", now, id, f.PTS, f.Label, f.Score, ev)
		if v.truth != nil {
			seg, began := v.truth.at(f.PTS)
			mark := "ok"
			switch {
			case f.Label != seg.Label && f.PTS-began < demoSettle:
				mark = ".."
			case f.Label != seg.Label:
				mark = "XX"
			}
			acc := "-"
			if s.total > 0 {
				acc = fmt.Sprintf("%.1f%% of %d", 100*float64(s.right)/float64(s.total), s.total)
			}
			line += fmt.Sprintf("  truth %-11s %s  accuracy %s", seg.Label, mark, acc)
		}
		fmt.Fprintln(v.out, line)
	}
}

func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", envOr("NATS_URL", "nats://127.0.0.1:4222"), "NATS server URL(s), comma-separated (env NATS_URL)")
	prefix := fs.String("prefix", "activity", "subject prefix (nats.subject_prefix)")
	truthCSV := fs.String("truth", "", "segments.csv of the scripted video the streams play (activityctl synth --scripted)")
	video := fs.String("video", "", "with --truth: the video's name in the CSV (default: the first)")
	every := fs.Duration("every", time.Second, "how often to print each stream's line")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: activityctl demo [--truth segments.csv] [flags]\n\n"+
			"Shows each stream's current label, score and open events, live, beside the\n"+
			"scripted truth of the looping video it plays (the stream time modulo the\n"+
			"video's length), with the running per-frame accuracy; event starts and ends\n"+
			"are printed as they come, with their distance from the scripted change.\n"+
			"`make demo` runs it. The raw messages: nats sub -s nats://127.0.0.1:4222 'activity.>'\n\n")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *every <= 0 {
		return errors.New("--every must be positive")
	}
	v := &demoView{out: stdout, streams: map[string]*demoStream{}}
	if *truthCSV != "" {
		tr, err := readTruth(*truthCSV, *video)
		if err != nil {
			return err
		}
		v.truth = tr
	}
	nc, err := nats.Connect(*server, nats.Name("activityctl demo"), nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true), nats.ReconnectWait(500*time.Millisecond))
	if err != nil {
		return err
	}
	defer nc.Close()
	subs := map[string]nats.MsgHandler{
		".*.frame": func(m *nats.Msg) {
			var f publisher.FrameMsg
			if json.Unmarshal(m.Data, &f) == nil {
				v.onFrame(f)
			}
		},
		".*.event": func(m *nats.Msg) {
			var e publisher.EventMsg
			if json.Unmarshal(m.Data, &e) == nil {
				v.onEvent(e)
			}
		},
		".*.status": func(m *nats.Msg) {
			var st publisher.StatusMsg
			if json.Unmarshal(m.Data, &st) == nil {
				v.onStatus(st)
			}
		},
	}
	for suffix, h := range subs {
		if _, err := nc.Subscribe(*prefix+suffix, h); err != nil {
			return err
		}
	}
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			v.print()
		}
	}
}
