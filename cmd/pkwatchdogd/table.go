package main

import (
	"io"
	"strings"
)

// table lays out rows of cells in columns two spaces apart, as
// text/tabwriter (minwidth 0, padding 2) does for the tables of check,
// status and report, where every row has the same cells; the last cell of
// a row is not padded. Written by hand: text/tabwriter costs the binary
// 7 KB for these three tables.
type table struct {
	rows  [][]string
	right bool // numbers: cells aligned right
}

// row adds one row.
func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

// write writes the table to w.
func (t *table) write(w io.Writer) {
	var width []int
	for _, r := range t.rows {
		for i, c := range r[:max(len(r)-1, 0)] {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
				break
			}
			pad := strings.Repeat(" ", width[i]-len(c))
			if t.right {
				b.WriteString(pad + c + "  ")
			} else {
				b.WriteString(c + pad + "  ")
			}
		}
		b.WriteString("\n")
	}
	_, _ = io.WriteString(w, b.String())
}
