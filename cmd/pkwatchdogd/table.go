package main

import (
	"io"
	"strings"
	"text/tabwriter"
)

// table lays out the rows of check, status and report in columns two
// spaces apart with text/tabwriter; the last cell of a row is not padded.
type table struct {
	rows  [][]string
	right bool // numbers: cells aligned right
}

// row adds one row.
func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

// write writes the table to w. A tab inside a cell (from a relay's
// answer, say) becomes a space, so that it cannot start a column.
func (t *table) write(w io.Writer) {
	var flags uint
	if t.right {
		flags = tabwriter.AlignRight
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', flags)
	for _, r := range t.rows {
		for i, c := range r {
			if i > 0 {
				_, _ = io.WriteString(tw, "\t")
			}
			_, _ = io.WriteString(tw, strings.ReplaceAll(c, "\t", " "))
		}
		_, _ = io.WriteString(tw, "\n")
	}
	_ = tw.Flush()
}
