package synth

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSegmentsCSVRoundTrip(t *testing.T) {
	in := []Segment{{"a.mp4", 0, 2.04, Idle}, {"a.mp4", 2.04, 6.5, Bounce}, {"b,c.mp4", 0, 3, MoveLeft}}
	var buf bytes.Buffer
	if err := WriteSegmentsCSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	want := "video,start_s,end_s,label\na.mp4,0.000,2.040,idle\na.mp4,2.040,6.500,bounce\n\"b,c.mp4\",0.000,3.000,move_left\n"
	if buf.String() != want {
		t.Fatalf("wrote\n%s\nwant\n%s", buf.String(), want)
	}
	out, err := ReadSegmentsCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if out[i] != in[i] {
			t.Fatalf("row %d: %+v, want %+v", i, out[i], in[i])
		}
	}
	if l, ok := LabelAt(out, "a.mp4", 2.04); !ok || l != Bounce {
		t.Errorf("LabelAt(2.04) = %q %v: a boundary belongs to the segment it starts", l, ok)
	}
	if _, ok := LabelAt(out, "a.mp4", 6.5); ok {
		t.Error("LabelAt at the end of the video found a segment")
	}
}

func TestReadSegmentsCSVErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "header"},
		{"video,start,end,label\n", "header"},
		{CSVHeader + "\na.mp4,1,0.5,idle\n", "start_s < end_s"},
		{CSVHeader + "\na.mp4,-1,0.5,idle\n", "start_s < end_s"},
		{CSVHeader + "\na.mp4,x,1,idle\n", "not numbers"},
		{CSVHeader + "\na.mp4,0,NaN,idle\n", "not numbers"},
		{CSVHeader + "\n,0,1,idle\n", "empty video"},
		{CSVHeader + "\na.mp4,0,1,\n", "empty label"},
		{CSVHeader + "\na.mp4,0,1\n", "wrong number of fields"},
	} {
		_, err := ReadSegmentsCSV(strings.NewReader(tc.in))
		if !errors.Is(err, ErrCSV) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want ErrCSV with %q", tc.in, err, tc.want)
		}
	}
}

func FuzzReadSegmentsCSV(f *testing.F) {
	f.Add(CSVHeader + "\na.mp4,0.000,2.040,idle\na.mp4,2.040,6.500,bounce\n")
	f.Add(CSVHeader + "\n\"x\"\"y\",0,1e3,z\n")
	f.Add("video,start_s\n")
	f.Fuzz(func(t *testing.T, in string) {
		segs, err := ReadSegmentsCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		// Whatever parses writes back and parses again to the same
		// segments, up to the written millisecond precision.
		var buf bytes.Buffer
		if err := WriteSegmentsCSV(&buf, segs); err != nil {
			t.Fatal(err)
		}
		again, err := ReadSegmentsCSV(&buf)
		if err != nil {
			// Rounding to milliseconds can make a very short segment empty.
			if errors.Is(err, ErrCSV) && strings.Contains(err.Error(), "start_s < end_s") {
				return
			}
			t.Fatalf("rewritten csv does not parse: %v\n%s", err, buf.String())
		}
		if len(again) != len(segs) {
			t.Fatalf("%d segments became %d", len(segs), len(again))
		}
		for i := range segs {
			if again[i].Video != segs[i].Video || again[i].Label != segs[i].Label {
				t.Fatalf("row %d: %+v became %+v", i, segs[i], again[i])
			}
		}
	})
}

func FuzzParseSize(f *testing.F) {
	f.Add("320x240")
	f.Add("x")
	f.Fuzz(func(t *testing.T, s string) {
		w, h, err := ParseSize(s)
		if err == nil && (w <= 0 || h <= 0) {
			t.Fatalf("ParseSize(%q) = %d, %d", s, w, h)
		}
	})
}
