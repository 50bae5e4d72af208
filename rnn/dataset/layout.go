package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrLayout is wrapped by errors about the data's layout.
var ErrLayout = errors.New("dataset: bad data layout")

// VideoExts are the file extensions taken as videos.
var VideoExts = map[string]bool{".mp4": true, ".avi": true, ".mkv": true, ".mov": true, ".webm": true, ".m4v": true, ".mpg": true, ".mpeg": true}

// Clip is one video with one label (many-to-one data).
type Clip struct {
	Path  string
	Label string
}

// ScanFolders reads the folder-per-class layout DIR/<label>/<clip>.<ext>
// (as UCF101 and HMDB51 ship). Labels are the folder names, sorted.
func ScanFolders(dir string) ([]Clip, []string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("dataset: %w", err)
	}
	var clips []Clip
	var labels []string
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, fmt.Errorf("dataset: %w", err)
		}
		n := 0
		for _, f := range files {
			if !f.IsDir() && VideoExts[strings.ToLower(filepath.Ext(f.Name()))] {
				clips = append(clips, Clip{Path: filepath.Join(dir, e.Name(), f.Name()), Label: e.Name()})
				n++
			}
		}
		if n > 0 {
			labels = append(labels, e.Name())
		}
	}
	if len(labels) < 2 {
		return nil, nil, fmt.Errorf("%w: %s needs at least two class folders holding videos, found %d", ErrLayout, dir, len(labels))
	}
	sort.Strings(labels)
	sort.Slice(clips, func(i, j int) bool { return clips[i].Path < clips[j].Path })
	return clips, labels, nil
}

// Segment is a labelled time span of a video, in seconds.
type Segment struct {
	Start, End float64
	Label      string
}

// Video is one video with labelled segments (many-to-many data).
type Video struct {
	Path     string
	Segments []Segment
}

// Background is the class of frames outside every segment, when they are
// not ignored.
const Background = "background"

// ReadSegments reads a CSV of video,start_s,end_s,label rows (a header row
// is allowed). Relative video paths are taken from the CSV's folder. Labels
// are sorted; videos keep the order of their first row.
func ReadSegments(path string) ([]Video, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	return parseSegments(f, filepath.Dir(path), path)
}

func parseSegments(r io.Reader, base, name string) ([]Video, []string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 4
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	byPath := map[string]int{}
	var videos []Video
	seen := map[string]bool{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrLayout, name, err)
		}
		if line == 1 && strings.EqualFold(rec[0], "video") {
			continue
		}
		start, err1 := strconv.ParseFloat(rec[1], 64)
		end, err2 := strconv.ParseFloat(rec[2], 64)
		if err1 != nil || err2 != nil || !(start >= 0 && end > start) || math.IsInf(end, 1) {
			return nil, nil, fmt.Errorf("%w: %s line %d: start_s %q and end_s %q must be seconds with start < end", ErrLayout, name, line, rec[1], rec[2])
		}
		label := strings.TrimSpace(rec[3])
		if label == "" || rec[0] == "" {
			return nil, nil, fmt.Errorf("%w: %s line %d: empty video or label", ErrLayout, name, line)
		}
		p := rec[0]
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		i, ok := byPath[p]
		if !ok {
			i = len(videos)
			byPath[p] = i
			videos = append(videos, Video{Path: p})
		}
		videos[i].Segments = append(videos[i].Segments, Segment{Start: start, End: end, Label: label})
		seen[label] = true
	}
	if len(videos) == 0 {
		return nil, nil, fmt.Errorf("%w: %s has no segments", ErrLayout, name)
	}
	labels := make([]string, 0, len(seen))
	for l := range seen {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	return videos, labels, nil
}

// FrameLabels gives the label index of each sampled frame (times in
// seconds) from v's segments: the segment containing it, else background
// (index bg; -1 to ignore such frames).
func FrameLabels(v Video, times []float64, index map[string]int, bg int) []int {
	out := make([]int, len(times))
	for i, t := range times {
		out[i] = bg
		for _, s := range v.Segments {
			if t >= s.Start && t < s.End {
				out[i] = index[s.Label]
				break
			}
		}
	}
	return out
}

// ReadSplit reads an explicit split file: lines "train PATH" or "val PATH"
// (PATH as in the data, relative to the file's folder allowed); '#' starts
// a comment. It returns whether each path is in validation.
func ReadSplit(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	out := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set, p, ok := strings.Cut(line, " ")
		p = strings.TrimSpace(p)
		if !ok || (set != "train" && set != "val") || p == "" {
			return nil, fmt.Errorf("%w: %s line %d: want \"train PATH\" or \"val PATH\"", ErrLayout, path, i+1)
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(path), p)
		}
		out[filepath.Clean(p)] = set == "val"
	}
	return out, nil
}
