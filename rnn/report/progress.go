package report

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Progress shows how far a loop is: a bar redrawn in place with rate and
// ETA on a terminal, or a plain log line every few seconds otherwise.
type Progress struct {
	w        io.Writer
	what     string
	total    int
	done     int
	start    time.Time
	last     time.Time
	terminal bool
	suffix   string
}

// IsTerminal reports whether f is a character device.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// NewProgress starts a progress display of total units on w (a bar when
// terminal).
func NewProgress(w io.Writer, terminal bool, what string, total int) *Progress {
	now := time.Now()
	return &Progress{w: w, what: what, total: total, start: now, last: now, terminal: terminal}
}

// Add records n more units done, with an optional note (such as the loss).
func (p *Progress) Add(n int, note string) {
	p.done += n
	p.suffix = note
	now := time.Now()
	if p.done < p.total && now.Sub(p.last) < p.every() {
		return
	}
	p.last = now
	p.draw(now)
}

func (p *Progress) every() time.Duration {
	if p.terminal {
		return 100 * time.Millisecond
	}
	return 5 * time.Second
}

func (p *Progress) draw(now time.Time) {
	el := now.Sub(p.start).Seconds()
	rate := float64(p.done) / max(el, 1e-9)
	eta := "?"
	if rate > 0 && p.total >= p.done {
		eta = (time.Duration(float64(p.total-p.done)/rate) * time.Second).Round(time.Second).String()
	}
	if !p.terminal {
		fmt.Fprintf(p.w, "%s %d/%d (%.1f/s, eta %s) %s\n", p.what, p.done, p.total, rate, eta, p.suffix)
		return
	}
	const width = 30
	fill := 0
	if p.total > 0 {
		fill = min(width, width*p.done/p.total)
	}
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = ' '
		if i < fill {
			bar[i] = '='
		}
	}
	fmt.Fprintf(p.w, "\r%-12s [%s] %d/%d %.1f/s eta %s %s\033[K", p.what, bar, p.done, p.total, rate, eta, p.suffix)
	if p.done >= p.total {
		fmt.Fprintln(p.w)
	}
}
