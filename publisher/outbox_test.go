package publisher_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/activityd/activityd/publisher"
)

func rec(i int) publisher.Record {
	return publisher.Record{Subject: "activity.s.event", MsgID: fmt.Sprintf("id-%d", i),
		Header: map[string]string{"Activity-Stream": "s"}, Data: []byte(fmt.Sprintf(`{"n":%d}`, i))}
}

// TestOutboxOrderSurvivesReopen: records come out in the order they went
// in, also after the outbox is opened again (a restart), and a write cut
// short (a .tmp file) is ignored.
func TestOutboxOrderSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	o, err := publisher.OpenOutbox(dir, 100, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := o.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	seq, r, ok := o.Peek()
	if !ok || r.MsgID != "id-1" {
		t.Fatalf("peek = %v %+v", ok, r)
	}
	o.Remove(seq)
	// Killed mid-write: a torn temporary file is dropped, a whole one (not
	// yet renamed) is kept in its place in the order.
	if err := os.WriteFile(filepath.Join(dir, "00000000000000000099.msg.tmp"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	whole, _ := json.Marshal(rec(55))
	if err := os.WriteFile(filepath.Join(dir, "00000000000000000010.msg.tmp"), whole, 0o600); err != nil {
		t.Fatal(err)
	}
	o2, err := publisher.OpenOutbox(dir, 100, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o2.Append(rec(6)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		seq, r, ok := o2.Peek()
		if !ok {
			break
		}
		got = append(got, r.MsgID)
		o2.Remove(seq)
	}
	if fmt.Sprint(got) != "[id-2 id-3 id-4 id-5 id-55 id-6]" {
		t.Errorf("order after reopen = %v", got)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left: %v", left)
	}
}

// TestOutboxBounds: past max_messages the oldest records are dropped and
// counted.
func TestOutboxBounds(t *testing.T) {
	o, err := publisher.OpenOutbox(t.TempDir(), 3, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	dropped := 0
	for i := 1; i <= 5; i++ {
		n, err := o.Append(rec(i))
		if err != nil {
			t.Fatal(err)
		}
		dropped += n
	}
	if o.Len() != 3 || dropped != 2 || o.Dropped() != 2 {
		t.Fatalf("len %d dropped %d/%d, want 3 and 2", o.Len(), dropped, o.Dropped())
	}
	if _, r, _ := o.Peek(); r.MsgID != "id-3" {
		t.Errorf("oldest kept = %s, want id-3", r.MsgID)
	}
	small, err := publisher.OpenOutbox(t.TempDir(), 100, 200)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		if _, err := small.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	if small.Len() >= 10 || small.Len() < 1 {
		t.Errorf("byte bound kept %d records", small.Len())
	}
}
