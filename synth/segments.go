package synth

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// CSVHeader is the first line of segments.csv.
const CSVHeader = "video,start_s,end_s,label"

// ErrCSV wraps every problem found reading a segments CSV.
var ErrCSV = errors.New("synth: bad segments csv")

// Segment is a stretch of a video showing one activity: frames whose time
// t = i/fps satisfies Start <= t < End.
type Segment struct {
	Video      string // file name, relative to the CSV's folder
	Start, End float64
	Label      string
}

// Contains reports whether time t (seconds) falls in the segment.
func (s Segment) Contains(t float64) bool { return t >= s.Start && t < s.End }

// LabelAt returns the label of video at time t (seconds), and false when no
// segment covers it.
func LabelAt(segs []Segment, video string, t float64) (string, bool) {
	for _, s := range segs {
		if s.Video == video && s.Contains(t) {
			return s.Label, true
		}
	}
	return "", false
}

// formatTime writes seconds with millisecond precision; scripted segment
// boundaries are whole milliseconds, so nothing is lost.
func formatTime(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

// WriteSegmentsCSV writes segs with the header CSVHeader.
func WriteSegmentsCSV(w io.Writer, segs []Segment) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(strings.Split(CSVHeader, ",")); err != nil {
		return err
	}
	for _, s := range segs {
		if err := cw.Write([]string{s.Video, formatTime(s.Start), formatTime(s.End), s.Label}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadSegmentsCSV reads a segments CSV. It checks the header, that times are
// numbers with 0 <= start < end, and that labels are not empty; labels need
// not be classes of this package.
func ReadSegmentsCSV(r io.Reader) ([]Segment, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 4
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCSV, err)
	}
	if got := strings.Join(head, ","); got != CSVHeader {
		return nil, fmt.Errorf("%w: header %q, want %q", ErrCSV, got, CSVHeader)
	}
	var segs []Segment
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return segs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCSV, err)
		}
		start, err1 := strconv.ParseFloat(rec[1], 64)
		end, err2 := strconv.ParseFloat(rec[2], 64)
		switch {
		case rec[0] == "":
			return nil, fmt.Errorf("%w: line %d: empty video", ErrCSV, line)
		case err1 != nil || err2 != nil || !finite(start) || !finite(end):
			return nil, fmt.Errorf("%w: line %d: times %q, %q are not numbers", ErrCSV, line, rec[1], rec[2])
		case start < 0 || end <= start:
			return nil, fmt.Errorf("%w: line %d: need 0 <= start_s < end_s, got %s, %s", ErrCSV, line, rec[1], rec[2])
		case rec[3] == "":
			return nil, fmt.Errorf("%w: line %d: empty label", ErrCSV, line)
		}
		segs = append(segs, Segment{Video: rec[0], Start: start, End: end, Label: rec[3]})
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
