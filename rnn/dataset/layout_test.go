package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestScanFolders(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"walk/a.mp4", "walk/b.AVI", "walk/notes.txt", "run/c.mkv", "empty/readme", ".hidden/x.mp4"} {
		p := filepath.Join(dir, f)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		_ = os.WriteFile(p, nil, 0o644)
	}
	clips, labels, err := ScanFolders(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(labels, []string{"run", "walk"}) || len(clips) != 3 {
		t.Errorf("labels %v, %d clips", labels, len(clips))
	}
	if clips[0].Label != "run" || filepath.Base(clips[2].Path) != "b.AVI" {
		t.Errorf("clips %+v", clips)
	}
	_ = os.RemoveAll(filepath.Join(dir, "run"))
	if _, _, err := ScanFolders(dir); !errors.Is(err, ErrLayout) {
		t.Errorf("one class: %v", err)
	}
}

func TestReadSegments(t *testing.T) {
	in := "video,start_s,end_s,label\n# a comment\nv1.mp4,0,2.5,walk\nv1.mp4, 2.5, 4,run\n/abs/v2.mp4,1,3,walk\n"
	videos, labels, err := parseSegments(strings.NewReader(in), "/data", "s.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(labels, []string{"run", "walk"}) || len(videos) != 2 || videos[0].Path != "/data/v1.mp4" ||
		videos[1].Path != "/abs/v2.mp4" || len(videos[0].Segments) != 2 || videos[0].Segments[1].Start != 2.5 {
		t.Errorf("videos %+v labels %v", videos, labels)
	}
	idx := map[string]int{"run": 0, "walk": 1, Background: 2}
	got := FrameLabels(videos[0], []float64{0, 2.4, 2.5, 3.9, 4, 9}, idx, 2)
	if !reflect.DeepEqual(got, []int{1, 1, 0, 0, 2, 2}) {
		t.Errorf("frame labels %v", got)
	}
	if got := FrameLabels(videos[0], []float64{5}, idx, -1); got[0] != -1 {
		t.Errorf("ignored background: %v", got)
	}
	for _, bad := range []string{"v.mp4,2,1,walk\n", "v.mp4,x,1,walk\n", "v.mp4,0,1\n", "v.mp4,0,1,\n", "", "v.mp4,NaN,1,a\n", "v.mp4,0,Inf,a\n"} {
		if _, _, err := parseSegments(strings.NewReader(bad), "/", "s.csv"); !errors.Is(err, ErrLayout) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestReadSplit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "split.txt")
	_ = os.WriteFile(p, []byte("# split\ntrain walk/a.mp4\nval run/c.mkv\n"), 0o644)
	sp, err := ReadSplit(p)
	if err != nil {
		t.Fatal(err)
	}
	if sp[filepath.Join(dir, "walk/a.mp4")] || !sp[filepath.Join(dir, "run/c.mkv")] || len(sp) != 2 {
		t.Errorf("split %v", sp)
	}
	_ = os.WriteFile(p, []byte("test x.mp4\n"), 0o644)
	if _, err := ReadSplit(p); !errors.Is(err, ErrLayout) {
		t.Errorf("bad set name: %v", err)
	}
}

// FuzzSegments feeds arbitrary CSV to the segment parser: an error or
// segments with 0 <= start < end and a label, never a panic.
func FuzzSegments(f *testing.F) {
	f.Add("video,start_s,end_s,label\nv.mp4,0,1.5,walk\n")
	f.Add("a,1,2,b\n\"q,\"\"x\",0,1,c\n")
	f.Fuzz(func(t *testing.T, s string) {
		videos, labels, err := parseSegments(strings.NewReader(s), "/d", "f.csv")
		if err != nil {
			return
		}
		if len(labels) == 0 {
			t.Fatal("no labels")
		}
		for _, v := range videos {
			for _, sg := range v.Segments {
				if !(sg.Start >= 0 && sg.End > sg.Start) || sg.Label == "" {
					t.Fatalf("bad segment %+v", sg)
				}
			}
		}
	})
}
