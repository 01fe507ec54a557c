package main

import (
	"fmt"
	"strconv"
	"strings"
)

// sizeFlag is a byte count given as 16GB, 500MB, 64KB or a plain number of bytes.
type sizeFlag int64

func (s *sizeFlag) String() string {
	n := int64(*s)
	for _, u := range sizeUnits {
		if n >= u.bytes && n%u.bytes == 0 {
			return strconv.FormatInt(n/u.bytes, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

func (s *sizeFlag) Set(text string) error {
	text = strings.ToUpper(strings.TrimSpace(text))
	scale := int64(1)
	for _, u := range sizeUnits {
		if number, ok := strings.CutSuffix(text, u.name); ok {
			text, scale = strings.TrimSpace(number), u.bytes
			break
		}
	}
	n, err := strconv.ParseFloat(text, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("want a size such as 16GB, 500MB or a number of bytes")
	}
	*s = sizeFlag(n * float64(scale))
	return nil
}

var sizeUnits = []struct {
	name  string
	bytes int64
}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}}
