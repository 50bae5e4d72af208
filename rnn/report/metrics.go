package report

// Confusion counts predictions: M[target][predicted].
type Confusion struct {
	Labels []string `json:"labels"`
	M      [][]int  `json:"matrix"`
}

// NewConfusion returns an empty matrix over labels.
func NewConfusion(labels []string) *Confusion {
	c := &Confusion{Labels: labels, M: make([][]int, len(labels))}
	for i := range c.M {
		c.M[i] = make([]int, len(labels))
	}
	return c
}

// Add counts one prediction.
func (c *Confusion) Add(target, pred int) { c.M[target][pred]++ }

// ClassMetrics are one class's scores.
type ClassMetrics struct {
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Accuracy is the fraction on the diagonal.
func (c *Confusion) Accuracy() float64 {
	var right, n int
	for i, row := range c.M {
		for j, v := range row {
			n += v
			if i == j {
				right += v
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(right) / float64(n)
}

// PerClass returns precision, recall and F1 of every class.
func (c *Confusion) PerClass() []ClassMetrics {
	out := make([]ClassMetrics, len(c.Labels))
	for k := range c.Labels {
		var tp, col, row int
		for i := range c.M {
			col += c.M[i][k]
			row += c.M[k][i]
		}
		tp = c.M[k][k]
		m := ClassMetrics{Label: c.Labels[k], Support: row}
		if col > 0 {
			m.Precision = float64(tp) / float64(col)
		}
		if row > 0 {
			m.Recall = float64(tp) / float64(row)
		}
		if m.Precision+m.Recall > 0 {
			m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
		}
		out[k] = m
	}
	return out
}

// MacroF1 is the mean F1 over classes that occur.
func (c *Confusion) MacroF1() float64 {
	var s float64
	n := 0
	for _, m := range c.PerClass() {
		if m.Support > 0 {
			s += m.F1
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}
