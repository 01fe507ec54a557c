package input

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/signin-detect/detect/engine/kql"
)

// Limits bound what one file may cost, so that hostile input (a compression bomb, a clock set to
// the year 9999) is reported instead of exhausting memory or misleading the run.
type Limits struct {
	// MaxDecompressed is the most bytes a compressed file may expand to (0: no limit).
	MaxDecompressed int64
	// MaxRatio is the most a compressed file may expand, as decompressed bytes per compressed
	// byte (0: no limit). It is judged once a file has expanded past ratioGrace, so that a small
	// file of few distinct bytes is not taken for a bomb.
	MaxRatio float64
	// Now and FutureSkew date the future: a record whose TimeGenerated is after Now plus
	// FutureSkew is rejected as dated in the future (Now zero: no check).
	Now        time.Time
	FutureSkew time.Duration
	// FollowClock dates the future from the current time as each record is read, instead of
	// from Now: a stream runs for days.
	FollowClock bool
}

// DefaultLimits are the limits of a run that sets none: real exports expand 5 to 30 times under
// gzip or zstd, and a single export file is at most a few GB.
var DefaultLimits = Limits{MaxDecompressed: 16 << 30, MaxRatio: 200, FutureSkew: 24 * time.Hour}

// ratioGrace is how far a file may expand before MaxRatio applies.
const ratioGrace = 16 << 20

// SetLimits replaces the reader's limits (DefaultLimits without Now until then).
func (r *Reader) SetLimits(l Limits) {
	r.limits = l
	var notAfter time.Time
	if !l.Now.IsZero() {
		notAfter = l.Now.Add(l.FutureSkew)
	}
	for _, byTable := range r.converters {
		for _, c := range byTable {
			c.notAfter, c.followSkew = notAfter, 0
			if l.FollowClock {
				c.notAfter, c.followSkew, c.followSure = time.Time{}, l.FutureSkew, time.Now().Add(l.FutureSkew)
			}
		}
	}
}

// timeColumn is the column that dates a record.
const timeColumn = "TimeGenerated"

// futureError is a record dated after Limits.Now plus Limits.FutureSkew: a clock set wrong, or
// input made to move a run's now (--now latest) where no rule looks.
type futureError struct{ t time.Time }

func (e *futureError) Error() string {
	return fmt.Sprintf("%s %s is later than now plus the allowed clock skew (--future-skew)", timeColumn, kql.FormatDatetime(e.t))
}

// rowError is the rejection reason of an error converting a record's columns.
func rowError(err error) string {
	var future *futureError
	if errors.As(err, &future) {
		return "dated in the future"
	}
	return "wrong type"
}

// decompressionLimitError is a compressed file that expands past a limit.
type decompressionLimitError struct{ msg string }

func (e *decompressionLimitError) Error() string { return e.msg }

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// expansionLimit reads a decompressor's output, failing once it passes the limits: packed counts
// the compressed bytes read so far.
type expansionLimit struct {
	r           io.Reader
	packed      *countingReader
	compression string
	limits      Limits
	out         int64
	err         error
}

func (e *expansionLimit) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.r.Read(p)
	e.out += int64(n)
	switch {
	case e.limits.MaxDecompressed > 0 && e.out > e.limits.MaxDecompressed:
		e.err = &decompressionLimitError{fmt.Sprintf("%s: expands past %s (--max-decompressed)", e.compression, formatSize(e.limits.MaxDecompressed))}
	case e.limits.MaxRatio > 0 && e.out > ratioGrace && float64(e.out) > e.limits.MaxRatio*float64(max(e.packed.n, 1)):
		e.err = &decompressionLimitError{fmt.Sprintf("%s: %s of compressed data expands to more than %s, over %g times its size (--max-ratio)",
			e.compression, formatSize(e.packed.n), formatSize(e.out), e.limits.MaxRatio)}
	}
	if e.err != nil {
		return 0, e.err
	}
	return n, err
}

// formatSize writes a byte count for a message: 1.5 GB, 300 MB, 12 KB, 7 bytes.
func formatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.3g GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.3g MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.3g KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
