package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// analysis is what the collector found in one report.
type analysis struct {
	// members lists the tar's entries, "name (size)".
	members []string
	// leaks names where a planted secret was found: "the upload" for the
	// raw bytes, else the member's name.
	leaks []string
	// err is set when the tar could not be read to its end.
	err error
}

// maxMember bounds how much of one (decompressed) member is searched.
const maxMember = 256 << 20

// analyze lists the tar in data (plain or gzip-compressed) and searches it,
// every member and every gzip-compressed member decompressed, for secrets.
func analyze(data []byte, secrets []string) analysis {
	var a analysis
	if contains(data, secrets) {
		a.leaks = append(a.leaks, "the upload")
	}
	body := data
	if isGzip(data) {
		var err error
		if body, err = gunzip(data); err != nil {
			a.err = err
			return a
		}
		if contains(body, secrets) {
			a.leaks = append(a.leaks, "the decompressed upload")
		}
	}
	tr := tar.NewReader(bytes.NewReader(body))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			a.err = err
			break
		}
		a.members = append(a.members, fmt.Sprintf("%s (%d)", h.Name, h.Size))
		if h.Typeflag != tar.TypeReg {
			continue
		}
		content, err := io.ReadAll(io.LimitReader(tr, maxMember))
		if err != nil {
			a.err = err
			break
		}
		if isGzip(content) {
			if c, err := gunzip(content); err == nil {
				content = c
			}
		}
		if contains(content, secrets) {
			a.leaks = append(a.leaks, h.Name)
		}
	}
	return a
}

func isGzip(b []byte) bool { return len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b }

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxMember))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return out, nil
}

func contains(b []byte, secrets []string) bool {
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}
